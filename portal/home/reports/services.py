"""Saving a study report's narrative: each save is a draft kept in the report's history."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.home.models import StudyReport
from portal.home.reports.content import SECTION_FIELDS
from portal.rules import RuleBroken


def latest_version(report: StudyReport) -> int:
    """The id of the report's latest saved version, 0 before the first save."""
    if report.pk is None:
        return 0
    found = report.history.order_by("-history_date", "-history_id").values_list(
        "history_id", flat=True
    )
    return found.first() or 0


def _locked(report: StudyReport) -> StudyReport | None:
    return StudyReport.objects.select_for_update().filter(study_id=report.study_id).first()


@transaction.atomic
def report_save(
    report: StudyReport, data: dict[str, Any], by: User, *, based_on: int | None = None
) -> StudyReport:
    """Save the narrative sections in ``data`` as the report's new draft.

    ``based_on`` is the version the writer started from: when someone else has saved since,
    nothing is saved and ``RuleBroken`` says who, so neither text is lost. Saving the same
    text again changes nothing and adds no version.
    """
    current = _locked(report)
    if current is None:
        current = StudyReport(study_id=report.study_id)
    elif based_on is not None and based_on != latest_version(current):
        saver = current.updated_by.display_name if current.updated_by else _("someone")
        raise RuleBroken(
            _(
                "%(name)s saved this report at %(time)s, after you opened it. Your text is "
                "still in the boxes below: compare it with the earlier versions, then save "
                "again to keep yours."
            )
            % {"name": saver, "time": date_format(localtime(current.updated_at), "j F Y, H:i")}
        )
    texts = {name: str(data.get(name) or "").strip() for name in SECTION_FIELDS}
    if current.pk is not None and all(getattr(current, k) == v for k, v in texts.items()):
        return current
    for name, text in texts.items():
        setattr(current, name, text)
    current.updated_by = by
    current._history_user = by  # type: ignore[attr-defined]
    if current.pk is None:
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError:
            # Another coordinator wrote the first draft at the same moment.
            raise RuleBroken(
                _("Someone else saved this report just now. Save again to keep your text.")
            ) from None
    else:
        current.save()
    return current
