"""Rules found in review: who may approve, pay that never falls with more time, bad ids."""

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
    contribution_mark_paid,
    contribution_save,
    earliest_activity_date,
)
from engagement.involvement.services.payments import payment_for_time
from engagement.models import ContributionState
from portal.accounts.services import profile_for
from portal.permissions import Role
from portal.rules import RuleBroken
from tests.conftest import StudyTeam, client_for
from tests.engagement.contributions_data import recorded
from tests.factories import MembershipFactory

AFTER_RISE = dt.date(2026, 1, 10)


def _record(team: StudyTeam, *, entered_by=None, minutes: int = 90, submit: bool = True):
    return contribution_save(
        contribution=None,
        partner=team.partner,
        study=team.study,
        stage=team.stage,
        activity_type="meeting",
        activity_date=AFTER_RISE,
        minutes=minutes,
        what_they_did="Advisory group",
        entered_by=entered_by or team.partner,
        submit=submit,
    )


def test_the_coordinator_who_entered_it_cannot_approve_it(team: StudyTeam) -> None:
    contribution = _record(team, entered_by=team.coordinator)
    with pytest.raises(RuleBroken, match="another coordinator approves it"):
        contribution_approve(contribution=contribution, by=team.coordinator)

    second = MembershipFactory(study=team.study, role=Role.COORDINATOR).user
    approved = contribution_approve(contribution=contribution, by=second)
    assert approved.state == ContributionState.APPROVED


@pytest.mark.parametrize("minutes", range(10, 24 * 60, 7))
def test_more_time_never_pays_less(team: StudyTeam, minutes: int) -> None:
    policy = policy_for(team.study)

    def pay(m: int) -> Decimal:
        due = payment_for_time(policy=policy, minutes=m, on=AFTER_RISE, preference="accept")
        assert due.amount is not None
        return due.amount

    assert pay(minutes + 7) >= pay(minutes)


def test_a_day_pays_no_more_than_the_day_rate(team: StudyTeam) -> None:
    policy = policy_for(team.study)
    long_day = payment_for_time(policy=policy, minutes=10 * 60, on=AFTER_RISE, preference="accept")
    assert long_day.amount == Decimal("165.00")


def test_a_declined_payment_does_not_wait_on_the_payments_list(team: StudyTeam) -> None:
    profile = profile_for(team.partner)
    profile.payment_preference = "decline"
    profile.save()
    contribution = contribution_approve(contribution=_record(team), by=team.coordinator)
    assert contribution.payment_due == Decimal("0.00")
    assert contribution.state == ContributionState.PAID


def test_a_payment_cannot_be_dated_before_the_approval(team: StudyTeam) -> None:
    contribution = contribution_approve(contribution=_record(team), by=team.coordinator)
    with pytest.raises(RuleBroken, match="before the contribution was approved"):
        contribution_mark_paid(
            contribution=contribution,
            paid_on=timezone.localdate() - dt.timedelta(days=30),
            reference="BACS",
        )


@pytest.mark.parametrize("value", ["²", "99999999999999999999999", "-1", "abc", ""])
def test_odd_ids_in_the_approval_form_are_ignored_not_a_crash(team: StudyTeam, value: str) -> None:
    contribution = _record(team)
    response = client_for(team.coordinator).post(
        reverse("approval_queue", args=[team.study.pk]), {"contribution": [value]}
    )
    assert response.status_code < 500
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.SUBMITTED


def test_finishing_a_review_in_a_study_without_stages_still_finishes(team: StudyTeam) -> None:
    from documents.models import AssignmentState
    from documents.services.rounds import assignment_finish
    from tests.documents.builders import open_round, ready_version

    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Hello."])
    review = open_round(version, by=team.coordinator)
    team.study.stages.all().delete()
    assignment = assignment_finish(
        assignment=review.assignments.get(partner=team.partner), minutes_spent=20
    )
    assert assignment.state == AssignmentState.FINISHED
    assert assignment.contribution is None


def test_the_service_refuses_involvement_dated_years_ago(team: StudyTeam, settings: Any) -> None:
    settings.INVOLVEMENT_EARLIEST_YEARS = 2
    today = timezone.localdate()
    with pytest.raises(RuleBroken, match="more than 2 years ago"):
        recorded(team, activity_date=dt.date(1, 1, 1))
    with pytest.raises(RuleBroken, match="more than 2 years ago"):
        recorded(team, activity_date=earliest_activity_date() - dt.timedelta(days=1))
    assert recorded(team, activity_date=earliest_activity_date()).pk
    assert earliest_activity_date(dt.date(2028, 2, 29)) == dt.date(2026, 2, 28)
    assert earliest_activity_date(today) <= today
