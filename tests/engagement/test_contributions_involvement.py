"""'Your involvement': a partner's own timeline across studies, with totals and downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.involvement.services.contributions import (
    contribution_approve,
    contribution_mark_paid,
)
from engagement.models import Contribution
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.engagement.contributions_data import recorded
from tests.engagement.history_data import section, table_rows
from tests.engagement.pages import described, page_text, shows
from tests.factories import MembershipFactory
from tests.sheets import DATE, MONEY, Download
from tests.time_text import as_shown

URL = reverse("my_involvement")


def many(team: StudyTeam, count: int, **changes: Any) -> list[Contribution]:
    today = timezone.localdate()
    fields: dict[str, Any] = {"activity_date": today - dt.timedelta(days=1)}
    fields.update(changes)
    return [recorded(team, what_they_did=f"Activity number {n}", **fields) for n in range(count)]


def test_it_needs_a_login(client: Any) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_shows_only_my_own_contributions_with_totals(team: StudyTeam) -> None:
    mine = recorded(team, minutes=90, what_they_did="My steering group", submit=True)
    recorded(team, minutes=30, what_they_did="My reading")
    other = MembershipFactory(study=team.study, role=Role.PARTNER).user
    recorded(team, partner=other, minutes=600, what_they_did="Someone else's workshop")
    contribution_approve(contribution=mine, by=team.coordinator)
    mine.refresh_from_db()

    response = client_for(team.partner).get(URL)
    assert response.status_code == 200
    assert shows(response, "My steering group")
    assert shows(response, "My reading")
    assert not shows(response, "Someone else's workshop")
    totals = response.context["totals"]
    assert totals["activities"] == 2
    assert totals["minutes"] == 120
    assert totals["due"] == mine.payment_due
    assert totals["paid"] == Decimal("0.00")
    assert shows(response, f"£{mine.payment_due}")
    assert shows(response, team.study.title)
    assert shows(response, team.stage.name)
    assert reverse("contribution_new", args=[team.study.pk]) in page_text(response)


def test_my_involvement_shows_time_in_hours_and_minutes(team: StudyTeam) -> None:
    recorded(team, minutes=90, what_they_did="My steering group", submit=True)
    recorded(team, minutes=45, what_they_did="My reading")
    response = client_for(team.partner).get(URL)
    assert described(response, "Time given") == "2 h 15 min"
    rows = table_rows(section(response, "totals-heading"))
    assert rows[0][3] == "Time"
    assert rows[1][:4] == [team.study.title, team.stage.name, "2", "2 h 15 min"]
    # Each activity in the timeline says how long it took.
    assert as_shown("1 h 30 min. State:") in page_text(response)
    assert as_shown("45 min. State:") in page_text(response)


def test_the_table_by_study_and_stage_can_be_scrolled_from_the_keyboard(team: StudyTeam) -> None:
    # On a phone the table is wider than the screen and scrolls in its box.
    recorded(team, submit=True)
    html = page_text(client_for(team.partner).get(URL))
    assert (
        '<div class="table-responsive" tabindex="0" role="region" '
        'aria-labelledby="groups-caption">' in html
    )
    assert '<caption id="groups-caption">By study and stage</caption>' in html


def test_paid_contributions_count_as_paid(team: StudyTeam) -> None:
    contribution = recorded(team, submit=True)
    contribution_approve(contribution=contribution, by=team.coordinator)
    contribution_mark_paid(
        contribution=contribution, paid_on=timezone.localdate(), reference="BACS 1"
    )
    contribution.refresh_from_db()
    totals = client_for(team.partner).get(URL).context["totals"]
    assert totals["paid"] == contribution.payment_due
    assert totals["due"] == Decimal("0.00")


def test_it_filters_by_date_study_stage_activity_and_state(team: StudyTeam) -> None:
    today = timezone.localdate()
    old = recorded(team, activity_date=today - dt.timedelta(days=100), what_they_did="Old one")
    later_stage = team.study.stages.order_by("position")[2]
    workshop = recorded(
        team,
        activity_type="workshop",
        stage=later_stage,
        what_they_did="Workshop one",
        submit=True,
    )
    client = client_for(team.partner)

    def shown(**query: str) -> set[int]:
        response = client.get(URL, query)
        assert response.status_code == 200
        return {c.pk for c in response.context["page"].object_list}

    assert shown() == {old.pk, workshop.pk}
    assert shown(date_from=(today - dt.timedelta(days=10)).isoformat()) == {workshop.pk}
    assert shown(date_to=(today - dt.timedelta(days=50)).isoformat()) == {old.pk}
    assert shown(study=str(team.study.pk)) == {old.pk, workshop.pk}
    assert shown(stage=later_stage.name) == {workshop.pk}
    assert shown(activity="workshop") == {workshop.pk}
    assert shown(state="draft") == {old.pk}
    assert client.get(URL, {"state": "submitted"}).context["totals"]["activities"] == 1


def test_a_bad_filter_is_reported_in_the_error_summary(team: StudyTeam) -> None:
    recorded(team)
    response = client_for(team.partner).get(
        URL, {"date_from": "2026-13-40", "date_to": "", "activity": "meeting"}
    )
    assert response.status_code == 200
    assert "error-summary" in page_text(response)
    assert 'href="#id_date_from"' in page_text(response)
    # The good filter is still obeyed.
    assert response.context["totals"]["activities"] == 1


def test_it_is_paginated_fifty_to_a_page(team: StudyTeam) -> None:
    many(team, 55)
    client = client_for(team.partner)
    first = client.get(URL)
    assert len(first.context["page"].object_list) == 50
    assert first.context["totals"]["activities"] == 55
    assert "page=2" in page_text(first)
    second = client.get(URL, {"page": "2"})
    assert len(second.context["page"].object_list) == 5


@pytest.mark.parametrize("count", [5, 60])
def test_the_number_of_queries_does_not_grow_with_contributions(
    team: StudyTeam, django_assert_max_num_queries: Any, count: int
) -> None:
    contributions = many(team, count, submit=True)
    # Some by proxy, so the "entered by" names are needed too.
    Contribution.objects.filter(pk__in=[c.pk for c in contributions[::2]]).update(
        entered_by=team.coordinator
    )
    client = client_for(team.partner)
    # Session, user, two-factor check, memberships, the person's study ids, studies, stages,
    # count, page, totals, totals by study and stage.
    with django_assert_max_num_queries(11):
        response = client.get(URL)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(count, 50)
    with django_assert_max_num_queries(7):
        download = client.get(URL, {"download": "csv"})
    assert download.status_code == 200


def test_csv_download_holds_what_is_filtered_and_defuses_formulas(team: StudyTeam) -> None:
    recorded(team, what_they_did='=HYPERLINK("http://evil.example")')
    recorded(team, what_they_did="@SUM(A1)", activity_type="workshop")
    recorded(team, what_they_did="Plain words", activity_type="interview")
    response = client_for(team.partner).get(URL, {"activity": "meeting", "download": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="your-involvement-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["What you did"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[0]["Study"] == team.study.title
    assert rows[0]["Hours"] == "1.5"

    everything = client_for(team.partner).get(URL, {"download": "csv"})
    rows = list(csv.DictReader(io.StringIO(everything.content.decode("utf-8-sig"))))
    assert {row["What you did"] for row in rows} == {
        '\'=HYPERLINK("http://evil.example")',
        "'@SUM(A1)",
        "Plain words",
    }


def test_xlsx_download_opens_as_a_spreadsheet(team: StudyTeam) -> None:
    recorded(team, what_they_did="Read the leaflet", minutes=45)
    recorded(team, what_they_did="+1 formula attempt", minutes=30)
    response = client_for(team.partner).get(URL, {"download": "xlsx"})
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    headers = [cell.value for cell in sheet[1]]
    assert headers[:2] == ["Date", "Study"]
    did = headers.index("What you did") + 1
    # Kept as typed, as text: the workbook never runs it.
    assert [sheet.cell(row=r, column=did).value for r in (2, 3)] == [
        "Read the leaflet",
        "+1 formula attempt",
    ]
    assert sheet.cell(row=2, column=2).value == team.study.title
    assert sheet.cell(row=3, column=headers.index("Hours") + 1).value == 0.5


def test_both_downloads_hold_the_same_typed_values_in_date_order(team: StudyTeam) -> None:
    older = recorded(team, activity_date=dt.date(2025, 12, 20), minutes=50, submit=True)
    contribution_approve(contribution=older, by=team.coordinator)
    paid = recorded(team, activity_date=dt.date(2025, 12, 1), minutes=90, submit=True)
    contribution_approve(contribution=paid, by=team.coordinator)
    Contribution.objects.filter(pk=paid.pk).update(state="paid", paid_on=dt.date(2026, 1, 9))
    recorded(team, activity_date=dt.date(2026, 2, 1), minutes=20, what_they_did="=cmd|calc")
    client = client_for(team.partner)
    sheets = Download.of(lambda kind: client.get(URL, {"download": kind}))
    sheets.check()
    assert sheets.book.sheetnames == ["Your involvement", "Totals"]
    rows = sheets.xlsx_records()
    assert [row["Date"] for row in rows] == [
        dt.datetime(2025, 12, 1),
        dt.datetime(2025, 12, 20),
        dt.datetime(2026, 2, 1),
    ]
    assert [row["Minutes"] for row in rows] == [90, 50, 20]
    assert [row["Payment due (£)"] for row in rows] == [37.5, pytest.approx(22.92), None]
    assert rows[0]["Paid on"] == dt.datetime(2026, 1, 9)
    assert rows[2]["What you did"] == "=cmd|calc"
    assert sheets.formats("Payment due (£)") == {MONEY}
    assert sheets.formats("Paid on") == sheets.formats("Date") == {DATE}
    frame = sheets.frame()
    assert frame["Minutes"].sum() == 160
    assert round(frame["Payment due (£)"].sum(), 2) == 60.42
    totals = sheets.totals()
    assert (totals["Contributions"], totals["Minutes"], totals["Hours"]) == (3, 160, 2.67)
    assert totals["Payment due, not paid yet (£)"] == pytest.approx(22.92)
    assert totals["Paid (£)"] == 37.5
    assert sheets.csv_records()[2]["What you did"] == "'=cmd|calc"


def test_the_main_navigation_links_to_your_involvement(team: StudyTeam) -> None:
    response = client_for(team.partner).get(URL)
    assert f'href="{URL}" aria-current="page"' in page_text(response)


def test_a_study_i_have_left_still_counts_but_is_not_linked(team: StudyTeam) -> None:
    contribution = recorded(team)
    team.study.memberships.filter(user=team.partner).update(left_on=timezone.localdate())
    response = client_for(team.partner).get(URL)
    assert shows(response, "Steering group meeting")
    detail = reverse("contribution_detail", args=[team.study.pk, contribution.pk])
    assert detail not in page_text(response)
    assert reverse("contribution_new", args=[team.study.pk]) not in page_text(response)
