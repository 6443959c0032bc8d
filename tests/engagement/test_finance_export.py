"""The finance export: what was due or paid in a period, as CSV and XLSX."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.involvement.services.contributions import (
    contribution_approve,
    contribution_mark_paid,
)
from engagement.models import Contribution, ContributionState
from tests.conftest import StudyTeam, client_for
from tests.engagement.contributions_data import AFTER_RISE, BEFORE_RISE, prefer, record
from tests.engagement.pages import page_text
from tests.factories import MembershipFactory
from tests.sheets import DATE, MONEY, Download

JANUARY = {"date_from": "2026-01-01", "date_to": "2026-01-31"}


def approved_on(team: StudyTeam, day: str = "2025-12-15", **kwargs: Any) -> Contribution:
    """Approved on that day, so that it can be marked paid on any day after it."""
    contribution = contribution_approve(contribution=record(team, **kwargs), by=team.coordinator)
    decided = timezone.make_aware(dt.datetime.fromisoformat(day).replace(hour=12))
    Contribution.objects.filter(pk=contribution.pk).update(decided_at=decided)
    contribution.refresh_from_db()
    return contribution


def paid(
    contribution: Contribution,
    *,
    fee: str | None = None,
    expenses: str | None = None,
    reference: str | None = None,
) -> Contribution:
    """Marked paid (its time) and reimbursed (its expenses) on those days."""
    changes: dict[str, Any] = {}
    if fee:
        changes |= {
            "state": ContributionState.PAID,
            "paid_on": dt.date.fromisoformat(fee),
            "payment_reference": reference or f"BACS {contribution.pk}",
        }
    if expenses:
        changes |= {
            "expenses_paid_on": dt.date.fromisoformat(expenses),
            "expenses_reference": f"EXP {contribution.pk}",
        }
    Contribution.objects.filter(pk=contribution.pk).update(**changes)
    contribution.refresh_from_db()
    return contribution


def export(team: StudyTeam, **params: str) -> Any:
    return client_for(team.coordinator).get(reverse("payment_export", args=[team.study.pk]), params)


def download(team: StudyTeam, **params: str) -> Download:
    both = Download.of(lambda kind: export(team, file_format=kind, **params))
    both.check()
    return both


def pounds(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- by payment date ------------------------------------------------------------------------


@pytest.fixture
def january(team: StudyTeam) -> dict[str, Contribution]:
    """Payments and reimbursements made in and around January 2026."""
    return {
        # £37.50 for time and £4.20 of expenses, both paid in January.
        "both": paid(
            approved_on(team, minutes=90, expense="4.20"), fee="2026-01-10", expenses="2026-01-10"
        ),
        # £75.00 for time not paid yet; £6.80 of expenses reimbursed in January.
        "expenses only": paid(
            approved_on(team, minutes=180, expense="6.80"), expenses="2026-01-15"
        ),
        # £25.00 for time paid in January; £3.00 of expenses reimbursed in February.
        "time only": paid(
            approved_on(team, minutes=60, expense="3.00"), fee="2026-01-20", expenses="2026-02-03"
        ),
        # £12.50 for time paid in December; £2.50 of expenses reimbursed in January.
        "paid before": paid(
            approved_on(team, minutes=30, expense="2.50"), fee="2025-12-28", expenses="2026-01-05"
        ),
        "nothing paid": approved_on(team, minutes=45, expense="1.00"),
        "paid after": paid(approved_on(team, minutes=75), fee="2026-02-02"),
    }


def test_by_payment_date_every_amount_was_paid_in_the_period(
    team: StudyTeam, january: dict[str, Contribution]
) -> None:
    sheets = download(team, basis="paid", **JANUARY)
    records = sheets.xlsx_records()
    assert len(records) == 4
    for record_ in records:
        if record_["Amount paid (£)"] is not None:
            assert dt.date(2026, 1, 1) <= record_["Paid on"].date() <= dt.date(2026, 1, 31)
        else:
            assert record_["Paid on"] is None
            assert record_["Payment reference"] is None
        if record_["Expenses reimbursed (£)"] is not None:
            assert dt.date(2026, 1, 1) <= record_["Expenses paid on"].date() <= dt.date(2026, 1, 31)
        else:
            assert record_["Expenses paid on"] is None
    # 37.50 + 4.20, then 6.80 (not the 75.00 due), 25.00 (not the 3.00), 2.50 (not the 12.50).
    by_reference = {r["Payment reference"] or r["Expenses reference"]: r for r in records}
    only_expenses = by_reference[f"EXP {january['expenses only'].pk}"]
    assert only_expenses["Amount paid (£)"] is None
    assert only_expenses["State"] == "Approved"
    assert only_expenses["Expenses reimbursed (£)"] == pytest.approx(6.80)
    frame = sheets.frame()
    paid_in_january = frame["Amount paid (£)"].sum() + frame["Expenses reimbursed (£)"].sum()
    assert pounds(paid_in_january) == Decimal("76.00")
    totals = sheets.totals()
    assert pounds(totals["Paid for time (£)"]) == Decimal("62.50")
    assert pounds(totals["Expenses reimbursed (£)"]) == Decimal("13.50")
    assert pounds(totals["Paid in all (£)"]) == Decimal("76.00")
    assert totals["Contributions"] == 4
    csv_frame = sheets.csv_frame()
    assert pounds(
        csv_frame["Amount paid (£)"].sum() + csv_frame["Expenses reimbursed (£)"].sum()
    ) == Decimal("76.00")


def test_by_payment_date_rows_are_in_the_order_they_were_paid(
    team: StudyTeam, january: dict[str, Contribution]
) -> None:
    sheets = download(team, basis="paid", **JANUARY)
    first_paid = [
        min(d for d in (r["Paid on"], r["Expenses paid on"]) if d is not None)
        for r in sheets.xlsx_records()
    ]
    assert first_paid == sorted(first_paid)
    assert [d.day for d in first_paid] == [5, 10, 15, 20]


def test_the_finance_export_can_take_the_period_by_payment_date(team: StudyTeam) -> None:
    contribution = approved_on(team, on=AFTER_RISE, day="2025-12-21")
    contribution_mark_paid(
        contribution=contribution, paid_on=timezone.localdate(), reference="BACS 7"
    )
    today = timezone.localdate().isoformat()
    by_paid = export(team, date_from=today, date_to=today, basis="paid", file_format="csv")
    by_activity = export(team, date_from=today, date_to=today, basis="activity", file_format="csv")
    assert "BACS 7" in by_paid.content.decode("utf-8-sig")
    assert "BACS 7" not in by_activity.content.decode("utf-8-sig")


# --- by activity date -----------------------------------------------------------------------


@pytest.fixture
def paid_and_due(team: StudyTeam) -> tuple[Contribution, Contribution]:
    paid_one = paid(
        approved_on(team, on=BEFORE_RISE, minutes=90, expense="4.20"),
        fee="2026-01-10",
        reference="=BACS-001",
    )
    prefer(team.partner, "vouchers")
    due = approved_on(team, on=AFTER_RISE, minutes=180, day="2025-12-21")
    record(team, on=AFTER_RISE, what="Waiting, not exported")
    return paid_one, due


def test_the_export_has_a_row_per_contribution_in_both_formats(
    team: StudyTeam, paid_and_due: Any
) -> None:
    period = {"date_from": "2025-11-01", "date_to": "2025-12-31"}
    response = export(team, file_format="csv", **period)
    assert response["Content-Type"].startswith("text/csv")
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="payments-study-{team.study.pk}-2025-11-01-to-2025-12-31.csv"'
    )
    sheets = download(team, **period)
    first, second = sheets.csv_records()
    assert list(first)[:4] == ["Partner", "Email", "Payment preference", "Method"]
    assert first["Partner"] == team.partner.display_name
    assert first["Email"] == team.partner.email
    assert first["Activity date"] == "2025-12-01"
    assert (first["Minutes"], first["Hours"]) == ("90", "1.5")
    assert (first["Rate"], first["Rate (£)"]) == ("Per hour", "25.00")
    assert first["Amount due (£)"] == "37.50"
    assert (first["Paid on"], first["Payment reference"]) == ("2026-01-10", "'=BACS-001")
    assert first["Expenses (£)"] == "4.20"
    assert second["Payment preference"] == "Accept payment as vouchers"
    assert second["Method"] == "Vouchers"
    assert (second["Rate"], second["Rate (£)"], second["Amount due (£)"]) == (
        "Half day",
        "82.50",
        "82.50",
    )
    assert second["Paid on"] == second["Expenses (£)"] == ""
    # No totals row in the CSV: the data alone, so that a column sums to its total.
    frame = sheets.csv_frame()
    assert len(frame) == 2
    assert pounds(frame["Amount due (£)"].sum()) == Decimal("120.00")


def test_the_xlsx_is_typed_with_its_totals_on_their_own_sheet(
    team: StudyTeam, paid_and_due: Any
) -> None:
    sheets = download(team, date_from="2025-11-01", date_to="2025-12-31")
    assert sheets.xlsx_response["Content-Disposition"].endswith('-2025-11-01-to-2025-12-31.xlsx"')
    assert sheets.book.sheetnames == ["Payments by activity date", "Totals"]
    first = sheets.xlsx_records()[0]
    assert first["Activity date"] == dt.datetime(2025, 12, 1)
    assert first["Paid on"] == dt.datetime(2026, 1, 10)
    assert first["Minutes"] == 90
    assert first["Hours"] == 1.5
    assert first["Rate (£)"] == 25
    assert first["Amount due (£)"] == 37.5
    assert first["Payment reference"] == "=BACS-001"  # kept as typed, as text
    for money in ("Rate (£)", "Amount due (£)", "Expenses (£)"):
        assert sheets.formats(money) == {MONEY}
    assert sheets.formats("Activity date") == {DATE}
    frame = sheets.frame()
    assert len(frame) == 2
    assert str(frame["Activity date"].dtype).startswith("datetime64")
    assert frame["Minutes"].dtype.kind == "i"
    assert frame["Amount due (£)"].dtype.kind == "f"
    totals = sheets.totals()
    assert totals["From"] == dt.datetime(2025, 11, 1)
    assert totals["Dates that decide the period"] == "When the involvement happened"
    assert (totals["Contributions"], totals["Minutes"], totals["Hours"]) == (2, 270, 4.5)
    assert pounds(totals["Amount due (£)"]) == pounds(frame["Amount due (£)"].sum())
    assert pounds(totals["Amount due (£)"]) == Decimal("120.00")
    assert pounds(totals["Of which paid (£)"]) == Decimal("37.50")
    assert pounds(totals["Expenses (£)"]) == Decimal("4.20")
    assert pounds(totals["Of which reimbursed (£)"]) == Decimal("0.00")


def test_minutes_times_the_hourly_rate_come_to_the_amount_to_the_penny(team: StudyTeam) -> None:
    for minutes in (20, 35, 50, 89, 100, 149):
        approved_on(team, on=AFTER_RISE, minutes=minutes, day="2025-12-21")
    records = download(team, **{"date_from": "2025-12-01", "date_to": "2025-12-31"})
    rows = records.xlsx_records()
    assert {row["Rate"] for row in rows} == {"Per hour"}
    for row in rows:
        worked_out = pounds(Decimal(row["Minutes"]) * pounds(row["Rate (£)"]) / 60)
        assert worked_out == pounds(row["Amount due (£)"]), row
    # Hours rounded to two places alone would not always reconcile.
    assert any(
        pounds(Decimal(str(row["Hours"])) * pounds(row["Rate (£)"]))
        != pounds(row["Amount due (£)"])
        for row in rows
    )


def test_the_export_keeps_to_the_period_in_date_order(team: StudyTeam, paid_and_due: Any) -> None:
    approved_on(team, on=dt.date(2025, 12, 10), minutes=30)
    sheets = download(team, date_from="2025-12-05", date_to="2025-12-31")
    assert sheets.column("Activity date") == [dt.datetime(2025, 12, 10), dt.datetime(2025, 12, 20)]


def test_text_keeps_what_was_typed_in_the_xlsx_and_cannot_run_in_the_csv(
    team: StudyTeam,
) -> None:
    team.partner.display_name = '=HYPERLINK("http://evil")'
    team.partner.save()
    paid(
        approved_on(team, expense="3.00"),
        fee="2026-01-02",
        expenses="2026-01-02",
        reference="+44 115 496 0000",
    )
    sheets = download(team, date_from="2025-11-01", date_to="2025-12-31")
    row = sheets.xlsx_records()[0]
    assert row["Partner"] == '=HYPERLINK("http://evil")'
    assert row["Payment reference"] == "+44 115 496 0000"
    written = sheets.csv_records()[0]
    assert written["Partner"] == '\'=HYPERLINK("http://evil")'
    assert written["Payment reference"] == "'+44 115 496 0000"


def test_a_period_with_nothing_in_it_gives_the_columns_and_zero_totals(team: StudyTeam) -> None:
    sheets = download(team, basis="paid", **JANUARY)
    assert sheets.csv == [[str(column) for column in sheets.xlsx[0]]]
    assert len(sheets.xlsx) == 1
    totals = sheets.totals()
    assert (totals["Contributions"], totals["Minutes"], totals["Paid in all (£)"]) == (0, 0, 0)


# --- the form -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"date_from": "2025-12-31", "date_to": "2025-11-01", "file_format": "csv"},
            "The end of the period must be on or after its start.",
        ),
        (
            {"date_from": "2025-02-30", "date_to": "2025-11-01", "file_format": "csv"},
            "Enter a real date",
        ),
        (
            {"date_from": "2025-01-01", "date_to": "2025-11-01", "file_format": "pdf"},
            "valid choice",
        ),
    ],
)
def test_a_bad_period_or_format_shows_the_form_with_errors(
    team: StudyTeam, params: dict[str, str], message: str
) -> None:
    response = export(team, **params)
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert message in page_text(response)


def test_the_form_says_what_the_files_hold(team: StudyTeam) -> None:
    text = page_text(export(team))
    assert "Totals" in text
    assert "apostrophe" in text


def test_the_export_form_is_for_coordinators_only(team: StudyTeam) -> None:
    MembershipFactory(study=team.other_study, user=team.coordinator)
    for who in (team.partner, team.researcher):
        response = client_for(who).get(reverse("payment_export", args=[team.study.pk]))
        assert response.status_code == 403
