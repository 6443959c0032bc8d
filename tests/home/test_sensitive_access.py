"""The record of who viewed or changed sensitive records, and the coordinators' page of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from engagement.involvement.services.contributions import contribution_approve, contribution_submit
from portal.accounts.models import SensitiveAccess
from portal.accounts.services import sensitive_access_record
from tests.accounts.test_profile import profile_data
from tests.conftest import StudyTeam, client_for
from tests.home import privacy_data as data

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


def rows() -> list[tuple[Any, ...]]:
    return list(
        SensitiveAccess.objects.order_by("id").values_list(
            "by__display_name", "subject__display_name", "what", "verb", "study_id"
        )
    )


def test_a_coordinator_downloading_a_receipt_is_recorded(team: StudyTeam) -> None:
    claim = data.contribution(team, "Travel", receipt_name="ticket.pdf")
    line = claim.expenses.get()
    url = reverse("expense_receipt", args=[team.study.pk, claim.pk, line.pk])
    contribution_submit(contribution=claim)
    own = client_for(team.partner).get(url)
    b"".join(own.streaming_content)  # type: ignore[attr-defined]
    assert rows() == [], "a partner's own receipt is not recorded"
    response = client_for(team.coordinator).get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert rows() == [
        ("Cora Coordinator", team.partner.display_name, "receipt", "downloaded", team.study.pk)
    ]
    assert "Receipt for travel, £4.20" in SensitiveAccess.objects.get().detail


def test_opening_a_partners_profile_shows_their_needs_and_is_recorded(team: StudyTeam) -> None:
    data.lived(team)
    response = client_for(team.coordinator).get(
        reverse("partner_profile", args=[team.study.pk, team.partner.pk])
    )
    page = response.content.decode()
    assert data.ACCESS_NEEDS in page
    assert data.PHONE in page
    assert "each visit to this page is recorded" in page
    assert ("Cora Coordinator", data.NAME, "profile", "viewed", team.study.pk) in rows()


def test_the_members_page_links_to_the_profile_and_erasure(team: StudyTeam) -> None:
    page = client_for(team.coordinator).get(reverse("member_list", args=[team.study.pk]))
    text = page.content.decode()
    assert reverse("partner_profile", args=[team.study.pk, team.partner.pk]) in text
    assert reverse("person_erase", args=[team.partner.pk]) in text
    assert reverse("person_erase", args=[team.coordinator.pk]) not in text


def test_marking_paid_one_or_several_is_recorded(team: StudyTeam) -> None:
    first, second = (data.contribution(team, what) for what in ("One", "Two"))
    for claim in (first, second):
        contribution_submit(contribution=claim)
        contribution_approve(contribution=claim, by=team.coordinator)
    coordinator = client_for(team.coordinator)
    coordinator.post(
        reverse("contribution_paid", args=[team.study.pk, first.pk]),
        {"paid_on": timezone.localdate().isoformat(), "reference": "BACS 1"},
    )
    coordinator.post(
        reverse("payments_mark_paid", args=[team.study.pk]),
        {
            "contribution": [second.pk],
            "pay-paid_on": timezone.localdate().isoformat(),
            "pay-reference": "BACS 2",
        },
    )
    assert [row[2:4] for row in rows()] == [("payment", "changed"), ("payment", "changed")]


def test_the_finance_export_is_recorded_without_naming_one_partner(team: StudyTeam) -> None:
    client_for(team.coordinator).get(
        reverse("payment_export", args=[team.study.pk]),
        {"date_from": "2026-01-01", "date_to": timezone.localdate(), "file_format": "csv"},
    )
    assert rows() == [("Cora Coordinator", None, "payment", "downloaded", team.study.pk)]


def test_changing_ones_own_profile_records_each_kind_changed(team: StudyTeam) -> None:
    client = client_for(team.partner)
    client.post(reverse("profile"), profile_data())
    changed = {row[2] for row in rows()}
    assert changed == {"profile", "access_needs", "contact", "payment"}
    SensitiveAccess.objects.all().delete()
    client.post(reverse("profile"), profile_data())
    assert rows() == []
    client.post(reverse("profile"), profile_data(accessibility_needs="Breaks every hour"))
    assert [row[2:4] for row in rows()] == [("access_needs", "changed")]


def test_viewing_ones_own_profile_writes_nothing(team: StudyTeam) -> None:
    client_for(team.partner).get(reverse("profile"))
    assert rows() == []


@pytest.fixture
def recorded(team: StudyTeam) -> None:
    for what in ("receipt", "payment", "profile"):
        sensitive_access_record(
            by=team.coordinator,
            subject=team.partner,
            what=what,  # type: ignore[arg-type]
            verb="viewed",  # type: ignore[arg-type]
            study_id=team.study.pk,
        )
    sensitive_access_record(
        by=team.partner, subject=team.partner, what="access_needs", verb="changed"
    )  # type: ignore[arg-type]
    # Another study's, and the profile change of someone who is not a member here.
    sensitive_access_record(
        by=team.outsider,
        subject=team.outsider,
        what="receipt",  # type: ignore[arg-type]
        verb="viewed",  # type: ignore[arg-type]
        study_id=team.other_study.pk,
        detail="Another study's receipt",
    )
    sensitive_access_record(
        by=team.outsider, subject=team.outsider, what="access_needs", verb="changed"
    )  # type: ignore[arg-type]


def test_coordinators_read_their_studys_record(
    team: StudyTeam, recorded: None, django_assert_max_num_queries: Any
) -> None:
    client = client_for(team.coordinator)
    url = reverse("access_record", args=[team.study.pk])
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<tr>") == 1 + 4
    assert "Viewed: receipt" in page
    assert "Changed: access needs" in page
    assert escape(team.outsider.display_name) not in page
    assert "Another study" not in page


def test_the_study_page_links_coordinators_to_the_record(team: StudyTeam) -> None:
    url = reverse("access_record", args=[team.study.pk])
    coordinator = client_for(team.coordinator).get(reverse("study_detail", args=[team.study.pk]))
    partner = client_for(team.partner).get(reverse("study_detail", args=[team.study.pk]))
    assert url in coordinator.content.decode()
    assert url not in partner.content.decode()


def test_the_record_shows_the_erasure_and_the_former_partner(team: StudyTeam) -> None:
    client = client_for(team.coordinator)
    client.post(reverse("person_erase", args=[team.partner.pk]), {"confirm": "on"})
    team.partner.refresh_from_db()
    page = client.get(reverse("access_record", args=[team.study.pk])).content.decode()
    assert "Erased: all their personal data" in page
    assert f"Former partner {team.partner.former_number}" in page
