"""Thin tasks over the notification services: they take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from portal.notifications.services import (
    digests_record,
    notification_deliver,
    notifications_deliver,
    notifications_to_dispatch,
)
from portal.tasks import MailTask

# Notifications one task sends over one mail connection.
BATCH = 100


@shared_task
def notifications_dispatch() -> int:
    """Hand every pending notification to a worker; what fails to queue waits for the next."""
    ids = notifications_to_dispatch()
    for start in range(0, len(ids), BATCH):
        notifications_send.delay(ids[start : start + BATCH])
    return len(ids)


@shared_task(bind=True, base=MailTask)
def notifications_send(self: MailTask, notification_ids: list[int]) -> dict[str, int]:
    """Send a batch over one mail connection; each is claimed first, so none goes twice."""
    return notifications_deliver(notification_ids=notification_ids, last_try=self.is_last_try())


@shared_task(bind=True, base=MailTask)
def notification_send(self: MailTask, notification_id: int) -> None:
    notification_deliver(notification_id=notification_id, last_try=self.is_last_try())


@shared_task
def digests_send(frequency: str) -> int:
    """Everyone's daily or weekly summary; each is delivered like any other notification."""
    return digests_record(frequency=frequency)
