"""Paying and reimbursing several at once, and paging through what has been paid."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.involvement.services.contributions import (
    contribution_approve,
    contributions_mark_paid_many,
    expenses_mark_paid,
)
from engagement.models import Contribution, ContributionState
from tests.conftest import StudyTeam, client_for
from tests.engagement.contributions_data import record
from tests.engagement.pages import messages_of, page_text, shows

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)
LAST_WEEK = timezone.localdate() - dt.timedelta(days=7)


def approved(team: StudyTeam, **kwargs: Any) -> Contribution:
    contribution = contribution_approve(contribution=record(team, **kwargs), by=team.coordinator)
    Contribution.objects.filter(pk=contribution.pk).update(
        decided_at=timezone.now() - dt.timedelta(days=10)
    )
    contribution.refresh_from_db()
    return contribution


def url(name: str, team: StudyTeam) -> str:
    return reverse(name, args=[team.study.pk])


def pay(team: StudyTeam, ids: list[int], **fields: str) -> Any:
    data = {"contribution": ids, "pay-paid_on": YESTERDAY.isoformat(), "pay-reference": "BACS 9"}
    data.update(fields)
    return client_for(team.coordinator).post(url("payments_mark_paid", team), data, follow=True)


def reimburse(team: StudyTeam, ids: list[int]) -> Any:
    data = {
        "contribution": ids,
        "expenses-paid_on": YESTERDAY.isoformat(),
        "expenses-reference": "EXP 4",
    }
    return client_for(team.coordinator).post(
        url("expenses_mark_reimbursed", team), data, follow=True
    )


def test_the_payments_page_offers_to_pay_and_reimburse_several(team: StudyTeam) -> None:
    first = approved(team, expense="3.00")
    page = client_for(team.coordinator).get(url("payment_list", team))
    assert url("payments_mark_paid", team) in page_text(page)
    assert url("expenses_mark_reimbursed", team) in page_text(page)
    assert f'id="pay-{first.pk}"' in page_text(page)
    assert f'id="reimburse-{first.pk}"' in page_text(page)
    assert shows(page, "Mark selected as paid")


def test_paying_several_pays_each_once_and_names_the_one_already_paid(team: StudyTeam) -> None:
    first = approved(team, what="First")
    second = approved(team, what="Second")
    already = approved(team, what="Already", on=dt.date(2025, 12, 2))
    pay(team, [already.pk], **{"pay-paid_on": LAST_WEEK.isoformat(), "pay-reference": "OLD"})

    response = pay(team, [first.pk, second.pk, already.pk])

    shown = messages_of(response)
    assert any(m.startswith("Marked 2 as paid") for m in shown)
    refusal = next(m for m in shown if m.startswith("Not marked as paid"))
    assert "Document review by" in refusal
    assert "2 December 2025" in refusal
    assert "already marked as paid" in refusal
    for contribution in (first, second):
        contribution.refresh_from_db()
        assert contribution.state == ContributionState.PAID
        assert contribution.paid_on == YESTERDAY
        assert contribution.payment_reference == "BACS 9"
    already.refresh_from_db()
    assert (already.paid_on, already.payment_reference) == (LAST_WEEK, "OLD")


def test_the_same_form_sent_twice_pays_nothing_twice(team: StudyTeam) -> None:
    first, second = approved(team), approved(team)
    pay(team, [first.pk, second.pk])
    again = pay(team, [first.pk, second.pk], **{"pay-paid_on": timezone.localdate().isoformat()})
    shown = messages_of(again)
    assert not any(m.startswith("Marked") for m in shown)
    assert sum("already marked as paid" in m for m in shown) == 2
    assert set(Contribution.objects.values_list("paid_on", flat=True)) == {YESTERDAY}


def test_a_bad_date_pays_nothing_and_keeps_the_choice(team: StudyTeam) -> None:
    first = approved(team)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client_for(team.coordinator).post(
        url("payments_mark_paid", team),
        {"contribution": [first.pk], "pay-paid_on": tomorrow, "pay-reference": ""},
    )
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert shows(response, "The payment date cannot be in the future.")
    assert f'id="pay-{first.pk}" checked' in page_text(response)
    first.refresh_from_db()
    assert first.state == ContributionState.APPROVED


def test_choosing_nothing_to_pay_says_so(team: StudyTeam) -> None:
    approved(team)
    response = pay(team, [])
    assert "Choose at least one payment to mark as paid." in messages_of(response)


def test_one_not_yet_approved_is_refused_and_named(team: StudyTeam) -> None:
    waiting = record(team, what="Waiting")
    response = pay(team, [waiting.pk])
    assert any(
        m.startswith("Not marked as paid: Document review by") and "approved" in m
        for m in messages_of(response)
    )
    waiting.refresh_from_db()
    assert waiting.state == ContributionState.SUBMITTED


def test_reimbursing_several_reimburses_each_once(team: StudyTeam) -> None:
    first = approved(team, expense="4.20")
    second = approved(team, expense="6.00")
    done = approved(team, expense="2.00", on=dt.date(2025, 12, 3))
    expenses_mark_paid(contribution=done, paid_on=LAST_WEEK, reference="EARLIER")

    response = reimburse(team, [first.pk, second.pk, done.pk])

    shown = messages_of(response)
    assert any(m.startswith("Expenses marked as reimbursed for 2 contributions") for m in shown)
    refusal = next(m for m in shown if m.startswith("Expenses not marked as reimbursed"))
    assert "3 December 2025" in refusal
    assert "already been reimbursed" in refusal
    for contribution in (first, second):
        contribution.refresh_from_db()
        assert contribution.expenses_paid_on == YESTERDAY
        assert contribution.expenses_reference == "EXP 4"
        assert contribution.state == ContributionState.APPROVED  # time is paid separately
    done.refresh_from_db()
    assert (done.expenses_paid_on, done.expenses_reference) == (LAST_WEEK, "EARLIER")
    again = reimburse(team, [first.pk, second.pk])
    assert sum("already been reimbursed" in m for m in messages_of(again)) == 2


def test_the_service_pays_what_it_can(team: StudyTeam) -> None:
    first = approved(team)
    waiting = record(team)
    done, refused = contributions_mark_paid_many(
        contributions=[first, waiting], paid_on=YESTERDAY, reference=""
    )
    assert [c.pk for c in done] == [first.pk]
    assert [c.pk for c, _reason in refused] == [waiting.pk]


# --- the Paid list pages ------------------------------------------------------------------


def paid_many(team: StudyTeam, count: int) -> None:
    template = approved(team)
    Contribution.objects.filter(pk=template.pk).update(
        state=ContributionState.PAID, paid_on=YESTERDAY
    )
    template.refresh_from_db()
    copies = []
    for index in range(count - 1):
        template.pk = None
        template.paid_on = YESTERDAY - dt.timedelta(days=index % 30)
        template.payment_reference = f"REF {index}"
        copies.append(
            Contribution(
                **{
                    f.attname: getattr(template, f.attname)
                    for f in Contribution._meta.concrete_fields
                }
            )
        )
    Contribution.objects.bulk_create(copies)


def test_the_paid_list_pages_instead_of_stopping(team: StudyTeam) -> None:
    paid_many(team, 150)
    client = client_for(team.coordinator)
    first = client.get(url("payment_list", team))
    assert shows(first, "150 payments made")
    assert shows(first, "Page 1 of 3")
    assert "page=2" in page_text(first)
    last = client.get(url("payment_list", team) + "?page=3")
    assert shows(last, "Page 3 of 3")
    assert "page=2" in page_text(last)
    # A page number past the end shows the last page, not an error.
    assert client.get(url("payment_list", team) + "?page=99").status_code == 200


@pytest.mark.parametrize("count", [5, 120])
def test_the_payments_page_takes_the_same_queries_with_many_paid(
    team: StudyTeam, django_assert_max_num_queries: Any, count: int
) -> None:
    paid_many(team, count)
    for _index in range(3):
        approved(team, expense="2.00")
    client = client_for(team.coordinator)
    with django_assert_max_num_queries(13):
        response = client.get(url("payment_list", team) + "?page=2")
    assert response.status_code == 200
