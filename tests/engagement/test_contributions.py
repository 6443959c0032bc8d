"""Partners record their involvement; coordinators may record it for them; approved is locked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from engagement.involvement.services.contributions import (
    contribution_approve,
    contribution_return,
)
from engagement.models import Contribution, ContributionState, ImpactStandard
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.engagement.contributions_data import action_url, detail_url, recorded
from tests.engagement.pages import described, messages_of, page_text, shows
from tests.factories import MembershipFactory

LOCKED = "This contribution has been approved, so it can no longer be changed."


def new_url(team: StudyTeam) -> str:
    return reverse("contribution_new", args=[team.study.pk])


def form_data(team: StudyTeam, **changes: Any) -> dict[str, Any]:
    data = {
        "stage": team.stage.pk,
        "activity_type": "meeting",
        "activity_date": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "hours": "1",
        "minutes": "30",
        "what_they_did": "Joined the steering group and talked about the leaflet.",
        "hoped_to_influence": "Plainer words in the leaflet.",
        "what_changed": "",
        "impact_standards": [],
        "action": "draft",
    }
    data.update(changes)
    return data


def errors_of(response: Any) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


# --- recording ---------------------------------------------------------------------------


def test_a_partner_saves_a_draft_and_then_submits_it(team: StudyTeam) -> None:
    client = client_for(team.partner)
    response = client.post(
        new_url(team),
        form_data(team, impact_standards=[ImpactStandard.COMMUNICATIONS]),
    )
    contribution = Contribution.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(contribution)
    assert contribution.state == ContributionState.DRAFT
    assert contribution.partner == team.partner
    assert contribution.minutes == 90
    assert contribution.entered_by is None
    assert contribution.impact_standards == ["communications"]

    page = client.get(detail_url(contribution))
    assert shows(page, "Joined the steering group and talked about the leaflet.")
    assert described(page, "Time spent") == "1 h 30 min"
    assert shows(page, "Communications")
    assert shows(page, "Draft")
    assert "Submit for approval" in page_text(page)

    response = client.post(action_url("contribution_submit", contribution), follow=True)
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.SUBMITTED
    assert "Thank you. Your involvement is sent for approval." in messages_of(response)
    assert shows(response, "Waiting for approval")


def test_a_partner_can_submit_straight_away(team: StudyTeam) -> None:
    response = client_for(team.partner).post(new_url(team), form_data(team, action="submit"))
    assert response.status_code == 302
    assert Contribution.objects.get().state == ContributionState.SUBMITTED


def test_the_form_offers_this_studys_stages_and_the_six_standards(team: StudyTeam) -> None:
    response = client_for(team.partner).get(new_url(team))
    content = page_text(response)
    for stage in team.study.stages.all():
        assert shows(response, stage.name)
    for standard in ImpactStandard:
        assert shows(response, str(standard.label))
    assert 'type="date"' in content
    assert "Save as draft" in content
    # Only coordinators record for someone else.
    assert 'name="partner"' not in content


def test_a_coordinator_records_for_a_partner_by_proxy(team: StudyTeam) -> None:
    client = client_for(team.coordinator)
    form = client.get(new_url(team))
    assert shows(form, team.partner.display_name)
    assert not shows(form, team.researcher.display_name)

    response = client.post(new_url(team), form_data(team, partner=team.partner.pk), follow=True)
    contribution = Contribution.objects.get()
    assert contribution.partner == team.partner
    assert contribution.entered_by == team.coordinator
    expected = (
        f"Entered by {team.coordinator.display_name} on behalf of {team.partner.display_name}"
    )
    assert shows(response, expected)
    # The partner sees it too, on the contribution and in their own involvement.
    partner = client_for(team.partner)
    assert shows(partner.get(detail_url(contribution)), expected)
    assert shows(partner.get(reverse("my_involvement")), expected)


def test_a_coordinator_must_choose_a_partner_of_this_study(team: StudyTeam) -> None:
    client = client_for(team.coordinator)
    response = client.post(new_url(team), form_data(team))
    assert errors_of(response)["partner"] == ["Choose the partner you are recording this for."]
    response = client.post(new_url(team), form_data(team, partner=team.researcher.pk))
    assert errors_of(response)["partner"] == ["Choose one of this study's partners."]
    assert not Contribution.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hours": "-1", "minutes": "0"}, "hours", "cannot be less than nothing"),
        ({"hours": "0", "minutes": "-5"}, "hours", "cannot be less than nothing"),
        ({"hours": "0", "minutes": "0"}, "hours", "at least 1 minute"),
        ({"hours": "", "minutes": ""}, "hours", "at least 1 minute"),
        ({"hours": "24", "minutes": "1"}, "hours", "no more than 24 hours"),
        ({"hours": "30", "minutes": "0"}, "hours", "no more than 24 hours"),
        ({"hours": "1", "minutes": "75"}, "minutes", "from 0 to 59"),
        ({"hours": "two", "minutes": "0"}, "hours", "whole number"),
        ({"activity_date": "2999-01-01"}, "activity_date", "cannot be in the future"),
        ({"activity_date": "0001-01-01"}, "activity_date", "more than 6 years ago"),
        ({"activity_date": "1999-12-31"}, "activity_date", "Check the year"),
        ({"activity_date": "31/02/2025"}, "activity_date", "real date"),
        ({"activity_date": ""}, "activity_date", "Enter the date"),
        ({"what_they_did": "   "}, "what_they_did", "Say briefly what you did"),
        ({"stage": ""}, "stage", "Choose the stage of the study"),
        ({"activity_type": "party"}, "activity_type", "Choose what kind of activity"),
    ],
)
def test_it_refuses_bad_input_with_the_error_summary_and_saves_nothing(
    team: StudyTeam, changes: dict[str, Any], field: str, message: str
) -> None:
    response = client_for(team.partner).post(new_url(team), form_data(team, **changes))
    assert response.status_code == 200
    assert "error-summary" in page_text(response)
    assert field in errors_of(response), errors_of(response)
    assert message in " ".join(errors_of(response)[field])
    assert f'href="#id_{field}"' in page_text(response)
    assert not Contribution.objects.exists()


def test_it_refuses_a_stage_of_another_study(team: StudyTeam) -> None:
    other_stage = team.other_study.stages.create(name="Elsewhere", position=1)
    response = client_for(team.partner).post(new_url(team), form_data(team, stage=other_stage.pk))
    assert "stage" in errors_of(response)
    assert not Contribution.objects.exists()


def test_a_submit_refused_by_the_rules_saves_nothing(team: StudyTeam) -> None:
    contribution = recorded(team)
    # An expense without a receipt, where the study's policy needs one.
    contribution.expenses.create(expense_type="travel", amount="3.00")
    response = client_for(team.partner).post(
        action_url("contribution_edit", contribution),
        form_data(team, what_they_did="Changed words", action="submit"),
    )
    assert response.status_code == 200
    assert "needs a receipt for every expense" in page_text(response)
    contribution.refresh_from_db()
    assert contribution.what_they_did == "Steering group meeting"
    assert contribution.state == ContributionState.DRAFT


# --- changing, returning and locking -------------------------------------------------------


def test_a_returned_contribution_is_edited_and_submitted_again(team: StudyTeam) -> None:
    contribution = recorded(team, submit=True)
    contribution_return(
        contribution=contribution, by=team.coordinator, reason="Please add the date of the meeting."
    )
    client = client_for(team.partner)
    page = client.get(detail_url(contribution))
    assert shows(page, "Returned for changes")
    assert shows(page, "Please add the date of the meeting.")

    edit = client.get(action_url("contribution_edit", contribution))
    assert shows(edit, "Please add the date of the meeting.")
    assert shows(edit, "Steering group meeting")
    response = client.post(
        action_url("contribution_edit", contribution),
        form_data(team, what_they_did="Steering group meeting on 3 March", action="submit"),
    )
    assert response.status_code == 302
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.SUBMITTED
    assert contribution.what_they_did == "Steering group meeting on 3 March"
    assert contribution.returned_reason == ""


def test_an_approved_contribution_is_locked_but_what_changed_can_be_added(
    team: StudyTeam,
) -> None:
    contribution = recorded(team, submit=True)
    contribution_approve(contribution=contribution, by=team.coordinator)
    for user in (team.partner,):
        client = client_for(user)
        for name in ("contribution_edit", "expense_new"):
            response = client.post(
                action_url(name, contribution), form_data(team, what_they_did="Sneaky change")
            )
            assert response.status_code == 302
            assert response["Location"] == detail_url(contribution)
            assert any(LOCKED in m for m in messages_of(client.get(detail_url(contribution))))
    contribution.refresh_from_db()
    assert contribution.what_they_did == "Steering group meeting"
    assert contribution.state == ContributionState.APPROVED
    assert not contribution.expenses.exists()

    client = client_for(team.partner)
    page = client.get(detail_url(contribution))
    assert "Change the details" not in page_text(page)
    assert shows(page, f"£{contribution.payment_due}")
    response = client.post(
        action_url("contribution_impact", contribution),
        {"what_changed": "The leaflet now uses plainer words.", "impact_standards": ["impact"]},
    )
    assert response.status_code == 302
    contribution.refresh_from_db()
    assert contribution.what_changed == "The leaflet now uses plainer words."
    assert contribution.impact_standards == ["impact"]
    assert contribution.state == ContributionState.APPROVED


def test_submitting_an_approved_contribution_says_why_not(team: StudyTeam) -> None:
    contribution = recorded(team, submit=True)
    contribution_approve(contribution=contribution, by=team.coordinator)
    response = client_for(team.partner).post(
        action_url("contribution_submit", contribution), follow=True
    )
    assert "This contribution has already been approved." in messages_of(response)


def test_what_changed_needs_some_words(team: StudyTeam) -> None:
    contribution = recorded(team)
    response = client_for(team.partner).post(
        action_url("contribution_impact", contribution), {"what_changed": " "}
    )
    assert response.status_code == 200
    assert "Say what changed." in page_text(response)


# --- who may see and change it -------------------------------------------------------------


def test_a_partner_cannot_see_another_partners_contribution(team: StudyTeam) -> None:
    contribution = recorded(team, submit=True)
    other = MembershipFactory(study=team.study, role=Role.PARTNER).user
    client = client_for(other)
    for name in (
        "contribution_detail",
        "contribution_edit",
        "contribution_impact",
        "expense_new",
    ):
        assert client.get(action_url(name, contribution)).status_code == 404, name
    assert client.post(action_url("contribution_submit", contribution)).status_code == 404
    assert not shows(client.get(reverse("my_involvement")), "Steering group meeting")


def test_a_researcher_can_view_but_not_change(team: StudyTeam) -> None:
    contribution = recorded(team, submit=True)
    client = client_for(team.researcher)
    page = client.get(detail_url(contribution))
    assert page.status_code == 200
    assert shows(page, "Steering group meeting")
    assert "Change the details" not in page_text(page)
    assert "Record what changed" not in page_text(page)
    for name in ("contribution_edit", "contribution_impact", "expense_new"):
        assert client.get(action_url(name, contribution)).status_code == 403, name
        assert client.post(action_url(name, contribution), {}).status_code == 403, name
    assert client.post(action_url("contribution_submit", contribution)).status_code == 403
    assert client.get(new_url(team)).status_code == 403


def test_a_coordinator_may_change_a_contribution_they_entered_for_a_partner(
    team: StudyTeam,
) -> None:
    contribution = recorded(team, entered_by=team.coordinator)
    response = client_for(team.coordinator).post(
        action_url("contribution_edit", contribution),
        form_data(team, what_they_did="Corrected by the coordinator"),
    )
    assert response.status_code == 302
    contribution.refresh_from_db()
    assert contribution.what_they_did == "Corrected by the coordinator"
    assert contribution.partner == team.partner


def test_a_coordinator_returns_rather_than_changes_a_partners_own_contribution(
    team: StudyTeam,
) -> None:
    contribution = recorded(team, submit=True)
    response = client_for(team.coordinator).post(
        action_url("contribution_edit", contribution),
        form_data(team, what_they_did="Quietly changed"),
    )
    assert response.status_code in (302, 403)
    contribution.refresh_from_db()
    assert contribution.what_they_did == "Steering group meeting"


def test_a_partners_draft_is_their_own_until_submitted(team: StudyTeam) -> None:
    contribution = recorded(team)
    response = client_for(team.coordinator).get(action_url("contribution_detail", contribution))
    assert response.status_code == 404


def test_a_partner_changing_a_submitted_contribution_takes_it_back_to_draft(
    team: StudyTeam,
) -> None:
    contribution = recorded(team, submit=True)
    client_for(team.partner).post(
        action_url("contribution_edit", contribution),
        form_data(team, what_they_did="Added the second meeting"),
    )
    contribution.refresh_from_db()
    assert contribution.state == "draft"
    assert contribution.what_they_did == "Added the second meeting"


def test_a_researcher_sees_the_work_but_not_the_money(team: StudyTeam) -> None:
    from engagement.involvement.services.contributions import expense_add

    contribution = recorded(team)
    expense_add(contribution=contribution, expense_type="care", amount="12.00")
    from engagement.involvement.selectors import policy_for
    from engagement.involvement.services.contributions import contribution_submit

    policy_for(team.study).__class__.objects.filter(study=team.study).update(
        receipts_required=False
    )
    contribution_submit(contribution=contribution)
    page = client_for(team.researcher).get(action_url("contribution_detail", contribution))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Steering group meeting" in text
    assert "Care or support costs" not in text
    assert "Expenses" not in text


def test_the_study_page_links_to_recording_for_partners_and_coordinators(team: StudyTeam) -> None:
    study_url = reverse("study_detail", args=[team.study.pk])
    for user, expected in (
        (team.partner, True),
        (team.coordinator, True),
        (team.researcher, False),
    ):
        page = client_for(user).get(study_url)
        assert (new_url(team) in page_text(page)) is expected


def test_a_draft_from_a_finished_review_appears_for_the_partner(team: StudyTeam) -> None:
    from documents.services.rounds import assignment_finish
    from tests.documents.builders import open_round, ready_version

    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["# Sheet", "Hi."])
    review_round = open_round(version, by=team.coordinator, partners=[team.partner])
    assignment = review_round.assignments.get(partner=team.partner)
    assignment = assignment_finish(assignment=assignment, minutes_spent=45)
    contribution = assignment.contribution
    assert contribution is not None

    client: Client = client_for(team.partner)
    mine = client.get(reverse("my_involvement"))
    assert shows(mine, "Document review")
    assert detail_url(contribution) in page_text(mine)
    page = client.get(detail_url(contribution))
    assert shows(page, "Draft")
    assert described(page, "Time spent") == "45 min"
    assert "Submit for approval" in page_text(page)
    client.post(action_url("contribution_submit", contribution))
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.SUBMITTED
