from __future__ import annotations

from celery import shared_task
from django.conf import settings

from documents.services import versions

# The conversion itself is stopped at CONVERSION_TIMEOUT_SECONDS in its child process;
# the task's own limits leave time to read the file and store the page and pictures.
CONVERT_SOFT_TIME_LIMIT = settings.CONVERSION_TIMEOUT_SECONDS + 60
CONVERT_TIME_LIMIT = CONVERT_SOFT_TIME_LIMIT + 60


@shared_task(soft_time_limit=CONVERT_SOFT_TIME_LIMIT, time_limit=CONVERT_TIME_LIMIT, acks_late=True)
def version_convert(version_id: int) -> None:
    """Convert an uploaded version; a second run finds it done and returns."""
    versions.version_convert(version_id=version_id)


@shared_task
def versions_fail_stuck() -> None:
    """A version left "being prepared" by a killed worker is marked failed, with the reason."""
    versions.versions_fail_stuck()
