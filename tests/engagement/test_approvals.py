"""Coordinators approve contributions (fixing the payment due), return them, read their history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.involvement.services.contributions import (
    contribution_approve,
    contribution_return,
    contribution_save,
    contribution_submit,
    contributions_approve_many,
)
from engagement.models import Contribution, ContributionState
from portal.permissions import Role
from portal.rules import RuleBroken
from tests.conftest import StudyTeam, client_for
from tests.engagement.contributions_data import AFTER_RISE, BEFORE_RISE, prefer, record
from tests.engagement.pages import cells_labelled, messages_of, page_text, shows
from tests.factories import MembershipFactory


def queue_url(team: StudyTeam) -> str:
    return reverse("approval_queue", args=[team.study.pk])


def approve_url(team: StudyTeam, contribution: Contribution) -> str:
    return reverse("contribution_approve", args=[team.study.pk, contribution.pk])


def return_url(team: StudyTeam, contribution: Contribution) -> str:
    return reverse("contribution_return", args=[team.study.pk, contribution.pk])


# --- the queue ------------------------------------------------------------------------------


def test_it_lists_contributions_waiting_with_what_a_coordinator_needs(team: StudyTeam) -> None:
    record(team, minutes=95, expense="12.40")
    proxy = record(team, what="Steering group", entered_by=team.coordinator)
    record(team, what="Still a draft", submit=False)
    response = client_for(team.coordinator).get(queue_url(team))
    assert response.status_code == 200
    assert shows(response, team.partner.display_name)
    assert shows(response, team.stage.name)
    assert shows(response, "Document review")
    assert shows(response, "1 December 2025") or shows(response, "1 Dec 2025")
    assert cells_labelled(response, "Time spent") == ["1 h 35 min", "1 h 30 min"]
    assert shows(response, "£12.40")
    assert shows(response, "Entered by proxy by Cora Coordinator")
    assert shows(response, "2 contributions waiting")
    # Entered by this coordinator: no Approve button that cannot work, but who can approve it.
    assert approve_url(team, proxy) not in page_text(response)
    assert shows(response, "No other coordinator of this study can approve it yet")
    assert "Still a draft" not in page_text(response)


def test_it_says_when_nothing_is_waiting(team: StudyTeam) -> None:
    response = client_for(team.coordinator).get(queue_url(team))
    assert shows(response, "No contributions are waiting for approval.")


@pytest.mark.parametrize("who", ["partner", "researcher"])
def test_it_keeps_the_queue_from_partners_and_researchers(team: StudyTeam, who: str) -> None:
    record(team)
    assert client_for(getattr(team, who)).get(queue_url(team)).status_code == 403


# --- nobody approves their own ------------------------------------------------------------


def test_nobody_approves_their_own_contribution(team: StudyTeam) -> None:
    contribution = record(team)
    with pytest.raises(RuleBroken, match="their own contribution"):
        contribution_approve(contribution=contribution, by=team.partner)
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.SUBMITTED
    assert contribution.payment_due is None


def test_a_coordinators_own_contribution_is_refused_with_the_reason(team: StudyTeam) -> None:
    # A coordinator who is also a partner of the study (as they were before taking the role).
    own = Contribution.objects.create(
        partner=team.coordinator,
        study=team.study,
        stage=team.stage,
        activity_type="meeting",
        activity_date=BEFORE_RISE,
        minutes=60,
        what_they_did="Chaired the meeting",
        state=ContributionState.SUBMITTED,
        submitted_at=timezone.now(),
    )
    client = client_for(team.coordinator)
    assert shows(client.get(queue_url(team)), "Your own: another coordinator must approve it.")
    response = client.post(approve_url(team, own), follow=True)
    assert any(
        "Nobody can approve or return their own contribution" in m for m in messages_of(response)
    )
    own.refresh_from_db()
    assert own.state == ContributionState.SUBMITTED


# --- payment fixed on approval ------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "minutes", "due"),
    [
        (BEFORE_RISE, 90, "37.50"),  # 1.5 hours at £25
        (AFTER_RISE, 90, "41.25"),  # 1.5 hours at £27.50
        (BEFORE_RISE, 180, "75.00"),  # 3 hours: half day
        (AFTER_RISE, 180, "82.50"),
        (BEFORE_RISE, 360, "150.00"),  # 6 hours: a full day
        (AFTER_RISE, 360, "165.00"),
    ],
)
def test_approval_pays_at_the_rate_in_force_on_the_activity_date(
    team: StudyTeam, on: dt.date, minutes: int, due: str
) -> None:
    contribution = record(team, on=on, minutes=minutes)
    response = client_for(team.coordinator).post(approve_url(team, contribution), follow=True)
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.APPROVED
    assert contribution.payment_due == Decimal(due)
    assert contribution.rate is not None
    assert contribution.rate.effective_from <= on
    assert contribution.decided_by == team.coordinator
    assert any(f"Payment due: £{due}" in m for m in messages_of(response))


def test_a_partner_who_declines_is_due_nothing(team: StudyTeam) -> None:
    prefer(team.partner, "decline")
    contribution = contribution_approve(contribution=record(team), by=team.coordinator)
    assert contribution.payment_due == Decimal("0.00")
    assert contribution.payment_preference == "decline"


def test_a_partner_who_reduces_to_half_is_due_half(team: StudyTeam) -> None:
    prefer(team.partner, "reduce", percent=50)
    contribution = contribution_approve(contribution=record(team), by=team.coordinator)
    assert contribution.payment_due == Decimal("18.75")
    assert contribution.payment_preference == "reduce"


def test_a_partner_who_chose_vouchers_keeps_vouchers_as_the_method(team: StudyTeam) -> None:
    prefer(team.partner, "vouchers")
    contribution = contribution_approve(contribution=record(team), by=team.coordinator)
    assert contribution.payment_due == Decimal("37.50")
    assert contribution.payment_preference == "vouchers"
    # A later change of mind does not change what was fixed on approval.
    prefer(team.partner, "accept")
    contribution.refresh_from_db()
    assert contribution.payment_preference == "vouchers"


def test_an_approved_contribution_is_locked(team: StudyTeam) -> None:
    contribution = contribution_approve(contribution=record(team), by=team.coordinator)
    with pytest.raises(RuleBroken, match="cannot be changed"):
        contribution_save(
            contribution=contribution,
            partner=team.partner,
            study=team.study,
            stage=team.stage,
            activity_type="meeting",
            activity_date=BEFORE_RISE,
            minutes=600,
            what_they_did="More",
            entered_by=team.partner,
        )
    response = client_for(team.coordinator).post(approve_url(team, contribution), follow=True)
    assert any("Only a contribution waiting for approval" in m for m in messages_of(response))
    contribution.refresh_from_db()
    assert (contribution.minutes, contribution.payment_due) == (90, Decimal("37.50"))


# --- several at once ----------------------------------------------------------------------


def test_it_approves_the_selected_and_says_why_one_was_refused(team: StudyTeam) -> None:
    first = record(team, on=BEFORE_RISE)
    second = record(team, on=AFTER_RISE)
    too_early = record(team, on=dt.date(2024, 1, 10))  # before any rate took effect
    not_chosen = record(team, on=AFTER_RISE, what="Not chosen")
    response = client_for(team.coordinator).post(
        queue_url(team),
        {"contribution": [first.pk, second.pk, too_early.pk]},
        follow=True,
    )
    shown = messages_of(response)
    assert any(m.startswith("Approved 2 contributions") for m in shown)
    assert any(
        m.startswith("Not approved") and "No per hour rate is in force on 2024-01-10" in m
        for m in shown
    )
    states = dict(Contribution.objects.values_list("pk", "state"))
    assert states[first.pk] == states[second.pk] == ContributionState.APPROVED
    assert states[too_early.pk] == states[not_chosen.pk] == ContributionState.SUBMITTED
    # The refused one is still in the queue.
    assert reverse("contribution_approve", args=[team.study.pk, too_early.pk]) in page_text(
        response
    )


def test_the_service_approves_many_and_lists_refusals(team: StudyTeam) -> None:
    mine = record(team)
    approved, refused = contributions_approve_many(
        contributions=[mine, record(team)], by=team.partner
    )
    assert approved == []
    assert refused[0][0].pk == mine.pk
    assert all("their own" in reason for _, reason in refused)


def test_choosing_nothing_says_so(team: StudyTeam) -> None:
    response = client_for(team.coordinator).post(queue_url(team), {}, follow=True)
    assert "Choose at least one contribution to approve." in messages_of(response)


def test_another_studys_contribution_cannot_be_slipped_into_the_selection(
    team: StudyTeam,
) -> None:
    MembershipFactory(study=team.other_study, user=team.coordinator, role=Role.COORDINATOR)
    stranger = Contribution.objects.create(
        partner=team.outsider,
        study=team.other_study,
        stage=team.other_study.stages.create(name="Designing", position=1),
        activity_type="meeting",
        activity_date=BEFORE_RISE,
        minutes=60,
        what_they_did="Elsewhere",
        state=ContributionState.SUBMITTED,
    )
    client_for(team.coordinator).post(queue_url(team), {"contribution": [stranger.pk]})
    stranger.refresh_from_db()
    assert stranger.state == ContributionState.SUBMITTED


# --- returning ----------------------------------------------------------------------------


def test_returning_needs_a_reason(team: StudyTeam) -> None:
    contribution = record(team)
    client = client_for(team.coordinator)
    assert shows(client.get(return_url(team, contribution)), "What needs changing")
    response = client.post(return_url(team, contribution), {"reason": "   "})
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert shows(response, "Say what needs changing, so the partner knows what to do.")
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.SUBMITTED


def test_a_returned_contribution_can_be_changed_and_sent_again(team: StudyTeam) -> None:
    contribution = record(team)
    response = client_for(team.coordinator).post(
        return_url(team, contribution),
        {"reason": "Please add the date of the meeting."},
        follow=True,
    )
    assert any(m.startswith("Returned to") for m in messages_of(response))
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.RETURNED
    assert contribution.returned_reason == "Please add the date of the meeting."
    assert shows(response, "No contributions are waiting for approval.")

    contribution_save(
        contribution=contribution,
        partner=team.partner,
        study=team.study,
        stage=team.stage,
        activity_type="meeting",
        activity_date=BEFORE_RISE,
        minutes=120,
        what_they_did="Meeting on 1 December",
        entered_by=team.partner,
    )
    contribution = contribution_submit(contribution=contribution)
    assert contribution.state == ContributionState.SUBMITTED
    assert contribution.returned_reason == ""
    queue = client_for(team.coordinator).get(queue_url(team))
    assert cells_labelled(queue, "Time spent") == ["2 h"]


def test_nobody_returns_their_own_contribution(team: StudyTeam) -> None:
    with pytest.raises(RuleBroken):
        contribution_return(contribution=record(team), by=team.partner, reason="No")


# --- the audit history --------------------------------------------------------------------


def test_the_history_shows_who_approved_it_and_what_changed(team: StudyTeam) -> None:
    contribution = record(team, expense="4.20")
    client_for(team.coordinator).post(approve_url(team, contribution))
    response = client_for(team.coordinator).get(
        reverse("contribution_audit", args=[team.study.pk, contribution.pk])
    )
    assert response.status_code == 200
    text = page_text(response)
    assert shows(response, "Contribution recorded")
    assert shows(response, "Added: Travel expense of £4.20")
    assert shows(response, "Contribution changed")
    # The approval: by whom, the state before and after, and the payment fixed.
    assert "Cora Coordinator" in text
    assert (
        'Waiting for approval <span aria-hidden="true">→</span>'
        '<span class="visually-hidden">changed to</span> Approved'
    ) in text
    assert "Approved or returned by:" in text
    assert "37.50" in text
    assert "Per hour £25.00 from 1 April 2024" in text
    assert f"Stage:</span> {team.stage.name}" in text


def test_the_history_is_for_coordinators_only(team: StudyTeam) -> None:
    contribution = record(team)
    url = reverse("contribution_audit", args=[team.study.pk, contribution.pk])
    assert client_for(team.partner).get(url).status_code == 403
    assert client_for(team.researcher).get(url).status_code == 403


# --- speed --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 50])
def test_the_queue_takes_the_same_queries_however_many_are_waiting(
    team: StudyTeam, django_assert_max_num_queries: Any, count: int
) -> None:
    for index in range(count):
        record(team, minutes=30 + index, expense="3.00" if index % 2 else None)
    client = client_for(team.coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(queue_url(team))
    assert shows(response, f"{count} contributions waiting")
