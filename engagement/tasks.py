from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from engagement.models import Invitation
from engagement.services import invitation_url
from portal.accounts.tasks import TEMPORARY_MAIL_ERRORS
from portal.email import email_render

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=TEMPORARY_MAIL_ERRORS,
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def invitation_send(invitation_id: int) -> None:
    """Email an invitation once; safe to run twice or after the invitation is gone."""
    try:
        with transaction.atomic():
            invitation = (
                Invitation.objects.select_for_update(of=("self",))
                .select_related("study", "invited_by")
                .filter(pk=invitation_id, sent_at__isnull=True)
                .first()
            )
            if invitation is None or not invitation.is_pending:
                return
            message = email_render(
                template="invitation",
                to=[invitation.email],
                context={"invitation": invitation, "accept_url": invitation_url(invitation)},
            )
            message.send()
            invitation.sent_at = timezone.now()
            invitation.send_error = ""
            invitation.save(update_fields=["sent_at", "send_error"])
    except TEMPORARY_MAIL_ERRORS:
        raise
    except smtplib.SMTPException as error:
        logger.warning("Invitation %s could not be delivered: %s", invitation_id, error)
        Invitation.objects.filter(pk=invitation_id).update(
            send_error=f"The email could not be delivered ({error.__class__.__name__})."
        )
