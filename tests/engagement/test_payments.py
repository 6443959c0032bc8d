"""Coordinators pay partners, reimburse expenses, keep the payment policy and export for finance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.involvement.selectors import policy_for
from engagement.involvement.services.contributions import (
    contribution_approve,
    expenses_mark_paid,
)
from engagement.models import Contribution, ContributionState, PaymentRate
from portal.rules import RuleBroken
from tests.conftest import StudyTeam, client_for
from tests.engagement.contributions_data import AFTER_RISE, BEFORE_RISE, prefer, record
from tests.engagement.pages import cells_labelled, described, messages_of, page_text, shows
from tests.time_text import as_shown

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


def approved(team: StudyTeam, **kwargs: Any) -> Contribution:
    contribution = contribution_approve(contribution=record(team, **kwargs), by=team.coordinator)
    # Approved a few days ago, so that payments dated yesterday come after it.
    Contribution.objects.filter(pk=contribution.pk).update(
        decided_at=timezone.now() - dt.timedelta(days=3)
    )
    contribution.refresh_from_db()
    return contribution


def url(name: str, team: StudyTeam, *args: Any) -> str:
    return reverse(name, args=[team.study.pk, *args])


# --- the payments page --------------------------------------------------------------------


def test_it_shows_payments_due_with_the_partners_preference(team: StudyTeam) -> None:
    prefer(team.partner, "vouchers")
    approved(team, on=AFTER_RISE, expense="6.80")
    record(team, what="Waiting")  # not approved: not due yet
    response = client_for(team.coordinator).get(url("payment_list", team))
    assert response.status_code == 200
    assert shows(response, "1 payment due, £41.25 in all")
    assert shows(response, "Accept payment as vouchers")
    assert shows(response, "1 claim to reimburse, £6.80 in all")
    assert shows(response, "Nothing has been paid yet.")


def test_time_on_the_payments_pages_is_in_hours_and_minutes(team: StudyTeam) -> None:
    first = approved(team, minutes=210)
    approved(team, minutes=45)
    client = client_for(team.coordinator)
    page = client.get(url("payment_list", team))
    assert cells_labelled(page, "Time spent") == ["3 h 30 min", "45 min"]
    form = client.get(url("contribution_paid", team, first.pk))
    assert described(form, "Time spent") == "3 h 30 min"


def test_marking_paid_records_the_date_and_reference(team: StudyTeam) -> None:
    contribution = approved(team)
    client = client_for(team.coordinator)
    form = client.get(url("contribution_paid", team, contribution.pk))
    assert shows(form, "£37.50")
    response = client.post(
        url("contribution_paid", team, contribution.pk),
        {"paid_on": YESTERDAY.isoformat(), "reference": "BACS 2291"},
        follow=True,
    )
    assert any(m.startswith("Marked as paid") for m in messages_of(response))
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.PAID
    assert contribution.paid_on == YESTERDAY
    assert contribution.payment_reference == "BACS 2291"
    assert shows(response, "BACS 2291")
    assert shows(response, "No payments are due.")


def test_a_future_payment_date_is_refused_and_nothing_changes(team: StudyTeam) -> None:
    contribution = approved(team)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client_for(team.coordinator).post(
        url("contribution_paid", team, contribution.pk),
        {"paid_on": tomorrow.isoformat(), "reference": "x"},
    )
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert shows(response, "The payment date cannot be in the future.")
    contribution.refresh_from_db()
    assert (contribution.state, contribution.paid_on) == (ContributionState.APPROVED, None)


def test_a_contribution_not_yet_approved_cannot_be_marked_paid(team: StudyTeam) -> None:
    contribution = record(team)
    client = client_for(team.coordinator)
    page = client.get(url("contribution_paid", team, contribution.pk))
    assert shows(page, "Only an approved contribution that has not been paid")
    assert b'name="paid_on"' not in page.content
    response = client.post(
        url("contribution_paid", team, contribution.pk),
        {"paid_on": YESTERDAY.isoformat(), "reference": "x"},
        follow=True,
    )
    assert any("Only an approved contribution" in m for m in messages_of(response))
    contribution.refresh_from_db()
    assert (contribution.state, contribution.paid_on) == (ContributionState.SUBMITTED, None)


def test_expenses_are_reimbursed_separately(team: StudyTeam) -> None:
    contribution = approved(team, expense="12.00")
    client = client_for(team.coordinator)
    client.post(
        url("contribution_paid", team, contribution.pk),
        {"paid_on": YESTERDAY.isoformat(), "reference": "BACS 1"},
    )
    # Paid for time, but the expenses are still waiting.
    page = client.get(url("payment_list", team))
    assert shows(page, "1 claim to reimburse, £12.00 in all")
    response = client.post(
        url("contribution_expenses_paid", team, contribution.pk),
        {"paid_on": YESTERDAY.isoformat(), "reference": "EXP 7"},
        follow=True,
    )
    assert any(m.startswith("Expenses marked as reimbursed") for m in messages_of(response))
    assert shows(response, "No expenses are waiting to be reimbursed.")
    contribution.refresh_from_db()
    assert contribution.expenses_paid_on == YESTERDAY
    assert contribution.expenses_reference == "EXP 7"
    assert contribution.payment_reference == "BACS 1"
    # Only once.
    again = client.post(
        url("contribution_expenses_paid", team, contribution.pk),
        {"paid_on": timezone.localdate().isoformat(), "reference": "EXP 8"},
        follow=True,
    )
    assert any("only once" in m for m in messages_of(again))
    contribution.refresh_from_db()
    assert contribution.expenses_reference == "EXP 7"


def test_expenses_wait_for_approval(team: StudyTeam) -> None:
    contribution = record(team, expense="5.00")
    client_for(team.coordinator).post(
        url("contribution_expenses_paid", team, contribution.pk),
        {"paid_on": YESTERDAY.isoformat(), "reference": "x"},
    )
    contribution.refresh_from_db()
    assert contribution.expenses_paid_on is None


def test_the_service_reimburses_expenses_only_once(team: StudyTeam) -> None:
    contribution = approved(team, expense="3.00")
    expenses_mark_paid(contribution=contribution, paid_on=YESTERDAY, reference="A")
    with pytest.raises(RuleBroken, match="already been reimbursed"):
        expenses_mark_paid(contribution=contribution, paid_on=YESTERDAY, reference="B")
    contribution.refresh_from_db()
    assert contribution.expenses_reference == "A"


@pytest.mark.parametrize("count", [5, 50])
def test_the_payments_page_takes_the_same_queries_however_many_there_are(
    team: StudyTeam, django_assert_max_num_queries: Any, count: int
) -> None:
    for index in range(count):
        contribution = approved(team, minutes=30 + index, expense="2.00" if index % 2 else None)
        if index % 3 == 0:
            Contribution.objects.filter(pk=contribution.pk).update(
                state=ContributionState.PAID, paid_on=YESTERDAY
            )
    client = client_for(team.coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(url("payment_list", team))
    assert response.status_code == 200


# --- the policy ---------------------------------------------------------------------------


def policy_data(**changes: Any) -> dict[str, Any]:
    data = {
        "receipts_required": "on",
        "half_day_hours": "2",
        "half_day_minutes": "30",
        "day_hours": "5",
        "day_minutes": "0",
        "notes": "",
    }
    data.update(changes)
    return data


def test_the_policy_page_shows_the_rates_in_force_today(team: StudyTeam) -> None:
    response = client_for(team.coordinator).get(url("payment_policy", team))
    text = page_text(response)
    assert response.status_code == 200
    assert text.count("In force today") == 3
    assert text.count("Replaced by a later rate") == 3
    assert shows(response, "£27.50")


def test_editing_the_policy_changes_the_thresholds_and_is_kept_in_history(
    team: StudyTeam,
) -> None:
    client = client_for(team.coordinator)
    response = client.post(
        url("payment_policy", team),
        policy_data(half_day_hours="1", half_day_minutes="0", notes="Paid monthly."),
        follow=True,
    )
    assert "Payment policy saved." in messages_of(response)
    policy = policy_for(team.study)
    assert policy.half_day_from_minutes == 60
    assert policy.day_from_minutes == 300
    assert policy.receipts_required is True
    assert policy.notes == "Paid monthly."
    # The last changes: who changed what.
    assert shows(response, "Policy changed")
    assert shows(response, "Half-day rate from:")
    # From the 2 h 30 min the new policy starts with, to the hour just saved.
    changed = as_shown("Half-day rate from:</span> 2 h 30 min")
    assert changed in page_text(response)
    assert as_shown("changed to</span> 1 h</li>") in page_text(response)
    assert "Cora Coordinator" in page_text(response)
    # 90 minutes is now a half day: £75.
    assert approved(team, minutes=90).payment_due == Decimal("75.00")


def test_a_full_day_must_start_after_a_half_day(team: StudyTeam) -> None:
    response = client_for(team.coordinator).post(
        url("payment_policy", team), policy_data(day_hours="2", day_minutes="0")
    )
    assert b"error-summary" in response.content
    assert shows(response, "The full-day rate must start after the half-day rate does.")
    assert policy_for(team.study).day_from_minutes == 300


def test_a_rate_added_takes_effect_from_its_date(team: StudyTeam) -> None:
    client = client_for(team.coordinator)
    response = client.post(
        url("payment_rate_new", team),
        {"kind": "hourly", "amount": "30.00", "effective_from": "2026-06-01"},
        follow=True,
    )
    assert any(m.startswith("Rate added") for m in messages_of(response))
    assert approved(team, on=dt.date(2026, 5, 31)).payment_due == Decimal("41.25")
    assert approved(team, on=dt.date(2026, 6, 1)).payment_due == Decimal("45.00")
    assert shows(response, "Added: Per hour rate of £30.00 from 1 June 2026")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "hourly", "amount": "0", "effective_from": "2026-06-01"}, "between £0.01"),
        ({"kind": "hourly", "amount": "30", "effective_from": "2025-12-16"}, "already a per hour"),
        ({"kind": "", "amount": "30", "effective_from": "2026-06-01"}, "Choose which rate"),
        ({"kind": "day", "amount": "30", "effective_from": "31/02/2026"}, "Enter a real date"),
    ],
)
def test_a_bad_rate_is_refused_with_a_message(
    team: StudyTeam, data: dict[str, str], message: str
) -> None:
    policy_for(team.study)
    before = PaymentRate.objects.count()
    response = client_for(team.coordinator).post(url("payment_rate_new", team), data)
    assert b"error-summary" in response.content
    assert message in page_text(response)
    assert PaymentRate.objects.count() == before


def test_a_rate_no_contribution_used_can_be_removed(team: StudyTeam) -> None:
    rate = policy_for(team.study).rates.get(kind="day", effective_from=AFTER_RISE.replace(day=16))
    response = client_for(team.coordinator).post(
        url("payment_rate_remove", team, rate.pk), follow=True
    )
    assert any(m.startswith("Rate removed") for m in messages_of(response))
    assert not PaymentRate.objects.filter(pk=rate.pk).exists()
    assert shows(response, "Removed: Full day rate of £165.00 from 16 December 2025")


def test_a_used_rate_cannot_be_removed(team: StudyTeam) -> None:
    contribution = approved(team, on=BEFORE_RISE)
    client = client_for(team.coordinator)
    page = client.get(url("payment_rate_remove", team, contribution.rate_id))
    assert shows(page, "This rate cannot be removed")
    response = client.post(url("payment_rate_remove", team, contribution.rate_id), follow=True)
    assert any("cannot be removed" in m for m in messages_of(response))
    assert PaymentRate.objects.filter(pk=contribution.rate_id).exists()
