from __future__ import annotations

import logging
import smtplib
from typing import Any

from celery import Task, shared_task
from django.core.management import call_command

from portal.email import is_temporary_mail_error, message_from_dict, retry_delay

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=8)
def email_deliver(self: Task, payload: dict[str, Any]) -> None:
    """Deliver an account email (password reset, address check) rendered by the web process."""
    try:
        message_from_dict(payload).send()
    except (smtplib.SMTPException, OSError) as error:
        if is_temporary_mail_error(error) and self.request.retries < self.max_retries:
            raise self.retry(exc=error, countdown=retry_delay(self.request.retries)) from error
        logger.error("Account email to %s could not be delivered: %s", payload.get("to"), error)


@shared_task
def sessions_clear_expired() -> None:
    call_command("clearsessions")
