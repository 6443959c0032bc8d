"""No Approve button that cannot work: those who may are offered it, the others told who can."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engagement.involvement.services.contributions import decision_refusal, who_may_decide
from engagement.models import Contribution, ContributionState
from portal.accounts.models import User
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for, give_totp
from tests.engagement.contributions_data import detail_url, record
from tests.engagement.pages import page_text, shows
from tests.factories import MembershipFactory, UserFactory


def second_coordinator(team: StudyTeam, name: str = "Dana Deputy") -> User:
    person = UserFactory(display_name=name)
    give_totp(person)
    MembershipFactory(study=team.study, user=person, role=Role.COORDINATOR)
    return person


def approve_url(contribution: Contribution) -> str:
    return reverse("contribution_approve", args=[contribution.study_id, contribution.pk])


def return_url(contribution: Contribution) -> str:
    return reverse("contribution_return", args=[contribution.study_id, contribution.pk])


def queue(team: StudyTeam, viewer: User) -> str:
    return page_text(client_for(viewer).get(reverse("approval_queue", args=[team.study.pk])))


def test_the_rule_names_who_may_decide(team: StudyTeam) -> None:
    deputy = second_coordinator(team)
    proxy = record(team, entered_by=team.coordinator)
    assert decision_refusal(proxy, team.coordinator.pk) is not None
    assert decision_refusal(proxy, team.partner.pk) is not None
    assert decision_refusal(proxy, deputy.pk) is None
    assert who_may_decide(proxy, [team.coordinator, deputy]) == [deputy]


def test_a_proxy_entry_shows_no_approve_button_but_who_can_approve(team: StudyTeam) -> None:
    second_coordinator(team)
    proxy = record(team, entered_by=team.coordinator)
    other = record(team)
    page = queue(team, team.coordinator)
    assert approve_url(proxy) not in page
    assert return_url(proxy) not in page
    assert f'value="{proxy.pk}"' not in page  # nor a box to tick it among the selected
    assert "Dana Deputy can approve it." in page
    assert approve_url(other) in page
    assert f'value="{other.pk}"' in page


def test_the_other_coordinator_is_offered_the_proxy_entry(team: StudyTeam) -> None:
    deputy = second_coordinator(team)
    proxy = record(team, entered_by=team.coordinator)
    page = queue(team, deputy)
    assert approve_url(proxy) in page
    assert "can approve it." not in page


def test_with_no_other_coordinator_it_says_what_to_do(team: StudyTeam) -> None:
    proxy = record(team, entered_by=team.coordinator)
    # Nothing in the queue this coordinator can approve: no "Approve selected" either.
    assert "Approve selected" not in queue(team, team.coordinator)
    page = client_for(team.coordinator).get(detail_url(proxy))
    assert approve_url(proxy) not in page_text(page)
    assert shows(page, "You entered this contribution for the partner")
    assert shows(page, "add a second coordinator on the study's Members page")


def test_the_detail_page_offers_approve_and_return_to_a_coordinator_who_may(
    team: StudyTeam,
) -> None:
    contribution = record(team)
    page = client_for(team.coordinator).get(detail_url(contribution))
    assert approve_url(contribution) in page_text(page)
    assert return_url(contribution) in page_text(page)
    assert shows(page, "Waiting for your approval")
    # And approving from it works.
    client_for(team.coordinator).post(approve_url(contribution))
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.APPROVED
    after = client_for(team.coordinator).get(detail_url(contribution))
    assert approve_url(contribution) not in page_text(after)


def test_the_detail_page_tells_the_proxy_coordinator_who_can_approve(team: StudyTeam) -> None:
    deputy = second_coordinator(team)
    proxy = record(team, entered_by=team.coordinator)
    page = client_for(team.coordinator).get(detail_url(proxy))
    assert approve_url(proxy) not in page_text(page)
    assert return_url(proxy) not in page_text(page)
    assert shows(page, "Dana Deputy can approve it.")
    assert approve_url(proxy) in page_text(client_for(deputy).get(detail_url(proxy)))


def test_several_who_can_approve_are_all_named(team: StudyTeam) -> None:
    second_coordinator(team, "Dana Deputy")
    second_coordinator(team, "Eli Evans")
    record(team, entered_by=team.coordinator)
    assert "Dana Deputy or Eli Evans can approve it." in queue(team, team.coordinator)


@pytest.mark.parametrize("who", ["partner", "researcher"])
def test_partners_and_researchers_are_not_offered_approve_or_return(
    team: StudyTeam, who: str
) -> None:
    contribution = record(team)
    page = client_for(getattr(team, who)).get(detail_url(contribution))
    assert page.status_code == 200
    assert approve_url(contribution) not in page_text(page)
    assert return_url(contribution) not in page_text(page)
    assert not shows(page, "can approve it")
