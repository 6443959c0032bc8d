"""The periodic scans that read across both apps; the schedule is in settings."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from documents.reminders import rounds_scan
from portal.home.digests import team_digests_record
from portal.notifications.tasks import notifications_dispatch


@shared_task
def reminders_scan() -> int:
    """Record what is due, then hand out everything waiting, this scan's and any left over."""
    offered = rounds_scan()
    notifications_dispatch.delay()
    return offered


@shared_task
def team_digests_send() -> int:
    with transaction.atomic():
        return team_digests_record()
