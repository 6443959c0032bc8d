from __future__ import annotations

import logging
import smtplib

from celery import Task, shared_task
from django.utils import timezone

from engagement.models import Invitation
from engagement.services import invitation_url
from portal.email import email_render, is_temporary_mail_error, retry_delay

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=8)
def invitation_send(self: Task, invitation_id: int) -> None:
    """Email an invitation once; safe to run twice or after the invitation is gone."""
    claimed_at = timezone.now()
    # Claiming the row first means a second run of the task finds nothing to do.
    claimed = Invitation.objects.filter(
        pk=invitation_id,
        sent_at__isnull=True,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(sent_at=claimed_at)
    if not claimed:
        return
    invitation = Invitation.objects.select_related("study", "invited_by").get(pk=invitation_id)
    message = email_render(
        template="invitation",
        to=[invitation.email],
        context={"invitation": invitation, "accept_url": invitation_url(invitation)},
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        Invitation.objects.filter(pk=invitation_id, sent_at=claimed_at).update(sent_at=None)
        if is_temporary_mail_error(error) and self.request.retries < self.max_retries:
            raise self.retry(exc=error, countdown=retry_delay(self.request.retries)) from error
        logger.warning("Invitation %s could not be delivered: %s", invitation_id, error)
        Invitation.objects.filter(pk=invitation_id).update(
            send_error=f"The email could not be delivered ({error.__class__.__name__})."
        )
        return
    Invitation.objects.filter(pk=invitation_id).exclude(send_error="").update(send_error="")
