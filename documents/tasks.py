from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import gettext as _

from documents.models import Version, VersionStatus
from documents.services import versions


@shared_task(soft_time_limit=180, time_limit=240, acks_late=True)
def version_convert(version_id: int) -> None:
    """Convert an uploaded version; a second run finds it done and returns."""
    try:
        versions.version_convert(version_id=version_id)
    except SoftTimeLimitExceeded:
        Version.objects.filter(pk=version_id, status=VersionStatus.PREPARING).update(
            status=VersionStatus.FAILED,
            failure_reason=_(
                "This file took too long to prepare. The original is kept: try a smaller "
                "file, or save it as a Word document and upload that."
            ),
        )
