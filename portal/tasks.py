"""Delivering email from a worker, with the one retry policy every mail task shares; the
worker's heartbeat."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

from portal import health
from portal.email import (
    RETRY_FIRST_DELAY,
    RETRY_LONGEST_DELAY,
    PermanentMailError,
    TemporaryMailError,
    email_send_now,
    message_from_dict,
)

logger = logging.getLogger(__name__)


class MailTask(Task[..., None]):
    """A task that sends email: a temporary failure is tried again later, with growing delays
    (as ``portal.email.retry_delay`` gives them), a bounded number of times; the message is
    acknowledged only once the task has finished, so a worker that dies does not lose it."""

    autoretry_for = (TemporaryMailError,)
    max_retries = 8
    retry_backoff = RETRY_FIRST_DELAY
    retry_backoff_max = RETRY_LONGEST_DELAY
    retry_jitter = False
    acks_late = True

    def is_last_try(self) -> bool:
        """On the last try a temporary failure is recorded as final instead of retried."""
        return bool(self.request.retries >= self.max_retries)


@shared_task(bind=True, base=MailTask)
def email_deliver(self: MailTask, payload: dict[str, Any]) -> None:
    """Deliver an account email (password reset, address check) rendered by the web process."""
    try:
        email_send_now(message_from_dict(payload), last_try=self.is_last_try())
    except PermanentMailError as error:
        logger.error("Account email to %s could not be delivered: %s", payload.get("to"), error)


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Run every HEARTBEAT_SECONDS by beat; /health/ reads when it last ran."""
    health.heartbeat_record()
