from __future__ import annotations

from celery import shared_task

from engagement.services import invitation_email_send
from portal.tasks import MailTask


@shared_task(bind=True, base=MailTask)
def invitation_send(self: MailTask, invitation_id: int) -> None:
    """Email an invitation once; safe to run twice or after the invitation is gone."""
    invitation_email_send(invitation_id=invitation_id, last_try=self.is_last_try())
