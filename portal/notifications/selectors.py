"""Reads of a person's notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.accounts.models import User
from portal.notifications.models import Delivery, Kind, Notification

INBOX_SIZE = 100


def inbox(user: User) -> list[Notification]:
    """The latest notifications, newest first; summaries are not listed (their items are)."""
    return list(
        Notification.objects.filter(recipient=user)
        .exclude(kind=Kind.DIGEST)
        .only("id", "kind", "title", "link", "created_at", "read_at")
        .order_by("-created_at", "-id")[:INBOX_SIZE]
    )


def unread_count(user: User) -> int:
    return (
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .exclude(kind=Kind.DIGEST)
        .count()
    )


def failed_for_study(study_id: int) -> QuerySet[Notification]:
    """Emails about this study that could not be delivered, newest first, with who to."""
    return (
        Notification.objects.filter(study_id=study_id, delivery=Delivery.FAILED)
        .select_related("recipient")
        .order_by("-created_at")
    )
