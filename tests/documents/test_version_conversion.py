"""Hostile and oversized files as versions: a clear message or a clean rendition, and the
original always downloadable."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from documents.conversion.errors import TOO_LARGE
from documents.models import Version, VersionStatus
from tests.conftest import StudyTeam, client_for
from tests.documents import large_inputs
from tests.documents.builders import markdown_of, upload
from tests.documents.conversion_helpers import FIXTURES, assert_clean

HOSTILE = sorted(path.name for path in (FIXTURES / "hostile").iterdir())


def _url(version: Version, name: str) -> str:
    return reverse(
        name,
        kwargs={
            "study_id": version.document.study_id,
            "document_id": version.document_id,
            "number": version.number,
        },
    )


def _downloaded(team: StudyTeam, version: Version) -> bytes:
    response = client_for(team.partner).get(_url(version, "version_original"))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("name", HOSTILE, ids=HOSTILE)
def test_a_hostile_file_as_a_version_is_shown_cleanly_or_refused_plainly(team, name):
    data = (FIXTURES / "hostile" / name).read_bytes()

    version = upload(study=team.study, by=team.coordinator, filename=name, data=data)

    if version.status == VersionStatus.READY:
        assert version.blocks
        for block in version.blocks:  # the stored page adds our own comment controls
            assert_clean(block["html"])
    else:
        assert version.status == VersionStatus.FAILED
        assert version.failure_reason.startswith(("This ", "We could not ")), name
        assert version.failure_reason.endswith("."), version.failure_reason
    assert _downloaded(team, version) == data
    page = client_for(team.partner).get(_url(version, "version_detail"))
    assert page.status_code == 200


def test_a_version_too_large_to_show_says_so_and_keeps_its_original(team, settings):
    settings.CONVERSION_MAX_CHARACTERS = 40
    data = markdown_of(["# Sheet", "A paragraph that is rather longer than forty characters."])

    version = upload(study=team.study, by=team.coordinator, filename="sheet.md", data=data)

    assert version.status == VersionStatus.FAILED
    assert version.failure_reason.startswith(TOO_LARGE)
    assert "the most we show is 40" in version.failure_reason
    assert "damaged" not in version.failure_reason
    assert _downloaded(team, version) == data
    page = client_for(team.partner).get(_url(version, "version_detail")).content.decode()
    assert "too large or complex to show as a web page" in page


def test_a_version_past_its_memory_budget_is_failed_as_too_large(team, settings):
    settings.CONVERSION_MAX_MEMORY_BYTES = 300 * 1024 * 1024
    data = large_inputs.bloated_docx(20)

    version = upload(study=team.study, by=team.coordinator, filename="bloated.docx", data=data)

    assert version.status == VersionStatus.FAILED
    assert version.failure_reason.startswith(TOO_LARGE)
    assert _downloaded(team, version) == data


@pytest.mark.slow
def test_a_19_mb_text_file_as_a_version_is_too_large_to_show(team, tmp_path: Path):
    data = large_inputs.long_text(19)

    version = upload(study=team.study, by=team.coordinator, filename="notes.txt", data=data)

    assert version.status == VersionStatus.FAILED
    assert version.failure_reason.startswith(TOO_LARGE)
    assert len(_downloaded(team, version)) == len(data)


def test_the_tasks_limits_leave_the_conversion_its_time(settings):
    from documents.tasks import version_convert

    assert version_convert.soft_time_limit == settings.CONVERSION_TIMEOUT_SECONDS + 60
    assert version_convert.time_limit == version_convert.soft_time_limit + 60
    assert version_convert.acks_late


def test_a_task_stopped_by_its_soft_limit_marks_the_version_failed(team, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    def stopped(*args: object, **kwargs: object) -> None:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("documents.services.versions.convert_isolated", stopped)
    version = upload(
        study=team.study, by=team.coordinator, filename="sheet.md", data=markdown_of(["Hi."])
    )

    assert version.status == VersionStatus.FAILED
    assert "took too long" in version.failure_reason


def test_a_slow_conversion_still_running_is_not_swept_as_stuck(team, settings):
    import datetime as dt

    from django.utils import timezone

    from documents.services.versions import versions_fail_stuck

    settings.CONVERSION_TIMEOUT_SECONDS = 900
    version = upload(
        study=team.study,
        by=team.coordinator,
        filename="sheet.md",
        data=markdown_of(["Hi."]),
        convert=False,
    )
    Version.objects.filter(pk=version.pk).update(
        uploaded_at=timezone.now() - dt.timedelta(minutes=20)
    )

    assert versions_fail_stuck() == 0
    Version.objects.filter(pk=version.pk).update(
        uploaded_at=timezone.now() - dt.timedelta(minutes=31)
    )
    assert versions_fail_stuck() == 1
