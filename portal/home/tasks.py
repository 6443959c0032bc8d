"""The periodic scans that read across both apps; the schedule is in settings."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import transaction

from documents.reminders import rounds_scan
from portal.home.digests import team_digests_record
from portal.home.logs.services import log_build, log_ready_notify, logs_expire
from portal.home.models import InvolvementLog, LogState
from portal.home.privacy.services import receipts_purge
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


@shared_task(
    soft_time_limit=settings.LOG_BUILD_TIME_LIMIT, time_limit=settings.LOG_BUILD_TIME_LIMIT + 30
)
def log_build_task(log_id: int) -> str:
    """Build a long involvement log, then tell whoever asked for it."""
    log = InvolvementLog.objects.select_related("holder", "produced_by").filter(pk=log_id).first()
    if log is None or log.state != LogState.BUILDING:
        return "skipped"
    log = log_build(log)  # a soft time limit fails the log with the reason
    # Still building means another try owns it now; a withdrawn log needs no news.
    if log.state != LogState.BUILDING and log.withdrawn_at is None:
        log_ready_notify(log)
    return str(log.state)


@shared_task
def logs_expire_task() -> int:
    return logs_expire()


@shared_task
def receipts_purge_task() -> int:
    """Erased people's receipts whose finance retention period is over."""
    return receipts_purge()
