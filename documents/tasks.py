from __future__ import annotations

from celery import shared_task

from documents.services import versions


@shared_task(soft_time_limit=180, time_limit=240, acks_late=True)
def version_convert(version_id: int) -> None:
    """Convert an uploaded version; a second run finds it done and returns."""
    versions.version_convert(version_id=version_id)


@shared_task
def versions_fail_stuck() -> None:
    """A version left "being prepared" by a killed worker is marked failed, with the reason."""
    versions.versions_fail_stuck()
