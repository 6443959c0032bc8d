"""Costly actions are limited per person: uploads per hour, downloads made on request per
minute, with a page that says so and when to try again."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from documents.models import Document, Version
from engagement.involvement.services.contributions import contribution_save
from engagement.models import ExpenseLine
from portal.permissions import Role
from portal.ratelimits import rate_seconds, wait_in_words
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import ready_version
from tests.engagement.contributions_data import action_url, receipt_pdf, record, recorded
from tests.engagement.pages import page_text
from tests.factories import MembershipFactory


@pytest.fixture
def low_limits(settings: Any) -> None:
    settings.UPLOAD_RATE = "2/h"
    settings.EXPORT_RATE = "2/m"


def _expense(client: Any, url: str) -> Any:
    return client.post(
        url,
        {
            "expense_type": "travel",
            "amount": "3.50",
            "receipt": SimpleUploadedFile("ticket.pdf", receipt_pdf()),
        },
    )


def test_rates_read_as_counts_in_seconds() -> None:
    assert rate_seconds("30/h") == (30, 3600)
    assert rate_seconds("10/5m") == (10, 300)
    with pytest.raises(ValueError, match="not a rate"):
        rate_seconds("30 an hour")


def test_the_wait_reads_in_plain_words() -> None:
    assert wait_in_words(30) == "in a minute or so"
    assert wait_in_words(89) == "in a minute or so"
    assert wait_in_words(90) == "in about 2 minutes"
    assert wait_in_words(3600) == "in about 60 minutes"
    assert wait_in_words(5400) == "in about 2 hours"


def test_uploads_stop_at_the_limit_with_a_message_and_nothing_stored(
    team: StudyTeam, low_limits: None
) -> None:
    contribution = recorded(team)
    url = action_url("expense_new", contribution)
    client = client_for(team.partner)
    assert [_expense(client, url).status_code for _ in range(2)] == [302, 302]

    refused = _expense(client, url)

    assert refused.status_code == 429
    text = page_text(refused)
    assert "Too many uploads for now" in text
    assert "You have uploaded 2 files in an hour" in text
    assert "nothing was saved" in text
    # The hour is a window on the clock, so what is left of it may be minutes or seconds.
    wait = int(refused["Retry-After"])
    assert 0 < wait <= 3600
    assert f"You can upload again {wait_in_words(wait)}" in text
    assert f'href="{url}"' in text
    assert ExpenseLine.objects.count() == 2
    # Opening the form is not an upload, and someone else is counted on their own.
    assert client.get(url).status_code == 200
    someone_else = MembershipFactory(study=team.study, role=Role.PARTNER).user
    theirs = recorded(team, partner=someone_else)
    assert _expense(client_for(someone_else), action_url("expense_new", theirs)).status_code == 302


def test_documents_versions_and_receipts_share_one_upload_limit(
    team: StudyTeam, low_limits: None
) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["# A", "B."])
    client = client_for(team.coordinator)
    new_version = client.post(
        reverse("version_new", args=[team.study.pk, version.document_id]),
        {"file": SimpleUploadedFile("b.md", b"# A\n\nC.\n"), "change_summary": "Shorter."},
    )
    assert new_version.status_code == 302
    # The coordinator of this study is a partner in another, with a receipt to send there.
    MembershipFactory(study=team.other_study, user=team.coordinator, role=Role.PARTNER)
    elsewhere = contribution_save(
        contribution=None,
        partner=team.coordinator,
        study=team.other_study,
        stage=team.other_study.stages.create(name="Design", position=1),
        activity_type="meeting",
        activity_date=timezone.localdate(),
        minutes=60,
        what_they_did="Advisory group",
        entered_by=team.coordinator,
    )
    assert _expense(client, action_url("expense_new", elsewhere)).status_code == 302

    refused = client.post(
        reverse("document_new", args=[team.study.pk]),
        {"title": "Consent", "kind": "other", "file": SimpleUploadedFile("c.md", b"# C\n")},
    )
    assert refused.status_code == 429
    assert Document.objects.count() == 1
    assert Version.objects.count() == 2


def test_downloads_stop_at_the_limit_but_the_pages_still_open(
    team: StudyTeam, low_limits: None
) -> None:
    record(team)
    client = client_for(team.coordinator)
    involvement = reverse("study_involvement", args=[team.study.pk])
    finance = reverse("payment_export", args=[team.study.pk])
    period = {"date_from": "2025-01-01", "date_to": "2025-12-31", "file_format": "csv"}
    assert client.get(involvement, {"export": "csv"}).status_code == 200
    assert client.get(finance, period).status_code == 200

    refused = client.get(involvement, {"export": "xlsx"})

    assert refused.status_code == 429
    assert "Too many downloads for now" in page_text(refused)
    assert "You have asked for 2 downloads in a minute" in page_text(refused)
    assert "You can ask again in a minute or so." in page_text(refused)
    assert client.get(finance, period).status_code == 429
    assert client.get(involvement).status_code == 200
    assert (
        client_for(team.partner).get(reverse("my_involvement"), {"download": "csv"}).status_code
        == 200
    )


@pytest.mark.parametrize(
    "address",
    [
        lambda team, version: (
            reverse("you_said_we_did", args=[team.study.pk, version.document_id]) + "?format=csv"
        ),
        lambda team, version: reverse("study_report_pdf", args=[team.study.pk]),
        lambda team, version: reverse(
            "version_word", args=[team.study.pk, version.document_id, version.number]
        ),
    ],
    ids=["comments-csv", "study-report-pdf", "version-as-word"],
)
def test_every_download_made_on_request_counts(
    team: StudyTeam, settings: Any, address: Any
) -> None:
    settings.EXPORT_RATE = "1/m"
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["# A", "B."])
    client = client_for(team.coordinator)
    client.get(address(team, version))
    assert client.get(address(team, version)).status_code == 429


def test_a_log_asked_for_too_often_is_not_made(team: StudyTeam, settings: Any) -> None:
    settings.EXPORT_RATE = "1/m"
    client = client_for(team.partner)
    client.post(reverse("log_new"), {"start": "2025-01-01", "end": "2025-12-31"})
    refused = client.post(
        reverse("log_new"),
        {"start": "2025-01-01", "end": "2025-12-31", "studies": [team.study.pk]},
    )
    assert refused.status_code == 429
    assert "Too many downloads for now" in page_text(refused)


def test_someone_logged_out_is_sent_to_log_in_not_counted(
    team: StudyTeam, low_limits: None
) -> None:
    contribution = recorded(team)
    url = action_url("expense_new", contribution)
    client = client_for(None)
    for _ in range(3):
        assert client.post(url, {"expense_type": "travel"}).status_code == 302
