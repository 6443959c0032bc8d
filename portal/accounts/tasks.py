from __future__ import annotations

import smtplib
from typing import Any

from celery import shared_task
from django.core.management import call_command

from portal.email import message_from_dict

# Only failures that may pass are retried; a refused address will not change.
TEMPORARY_MAIL_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
)


@shared_task(
    autoretry_for=TEMPORARY_MAIL_ERRORS,
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def email_deliver(payload: dict[str, Any]) -> None:
    message_from_dict(payload).send()


@shared_task
def sessions_clear_expired() -> None:
    call_command("clearsessions")
