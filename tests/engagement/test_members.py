"""Coordinators see and manage who is in a study; membership history is kept."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from engagement.models import Invitation, Membership
from engagement.services import invitation_token, membership_end
from portal.accounts.models import User
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for, give_totp
from tests.engagement.pages import messages_of, page_text, shows
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

LAST_COORDINATOR = "A study needs at least one coordinator. Make someone else coordinator first."


def members_url(team: StudyTeam) -> str:
    return reverse("member_list", args=[team.study.pk])


def membership_of(team: StudyTeam, user: User) -> Membership:
    return Membership.objects.get(study=team.study, user=user, left_on__isnull=True)


def section(response, start: str, end: str) -> str:
    """The part of the page from the marker ``start`` to the next ``end``."""
    content = page_text(response)
    assert start in content, f"the page has no {start!r}"
    rest = content[content.index(start) :]
    return rest[: rest.index(end)]


def current_members(response) -> str:
    return section(response, "<caption>Current members</caption>", "</table>")


def waiting_invitations(response) -> str:
    return section(response, 'id="invitations-heading"', "</section>")


def former_members(response) -> str:
    return section(response, 'id="past-heading"', "</section>")


def escaped(text: str) -> str:
    return escape(text)


# --- the members page ------------------------------------------------------------------


def test_it_lists_current_members_waiting_invitations_and_former_members(
    team: StudyTeam,
) -> None:
    former = MembershipFactory(study=team.study, role=Role.PARTNER, joined_on=timezone.localdate())
    membership_end(membership=former)
    invitation = InvitationFactory(study=team.study, email="new.partner@example.org")
    InvitationFactory(study=team.study, email="withdrawn@example.org", revoked_at=timezone.now())
    InvitationFactory(study=team.other_study, email="elsewhere@example.org")

    response = client_for(team.coordinator).get(members_url(team))

    current = current_members(response)
    for person in (team.coordinator, team.researcher, team.partner):
        assert escaped(person.display_name) in current
        assert person.email in current
    assert escaped(former.user.display_name) not in current
    assert escaped(team.outsider.display_name) not in current

    waiting = waiting_invitations(response)
    assert invitation.email in waiting
    assert "withdrawn@example.org" not in waiting
    assert "elsewhere@example.org" not in waiting

    assert escaped(former.user.display_name) in former_members(response)


def test_it_shows_researchers_the_members_but_not_the_invitations_or_actions(
    team: StudyTeam,
) -> None:
    InvitationFactory(study=team.study, email="new.partner@example.org")
    response = client_for(team.researcher).get(members_url(team))
    assert response.status_code == 200
    assert shows(response, team.partner.display_name)
    assert "new.partner@example.org" not in page_text(response)
    assert "Invite someone" not in page_text(response)
    assert reverse(
        "membership_end", args=[team.study.pk, membership_of(team, team.partner).pk]
    ) not in page_text(response)


def test_it_says_when_no_invitations_are_waiting(team: StudyTeam) -> None:
    response = client_for(team.coordinator).get(members_url(team))
    assert "No invitations are waiting." in waiting_invitations(response)
    assert 'id="past-heading"' not in page_text(response)


# --- roles ------------------------------------------------------------------------------


def test_it_lets_a_coordinator_make_a_partner_a_researcher(team: StudyTeam) -> None:
    membership = membership_of(team, team.partner)
    response = client_for(team.coordinator).post(
        reverse("membership_role", args=[team.study.pk, membership.pk]),
        {"role": Role.RESEARCHER},
        follow=True,
    )
    membership.refresh_from_db()
    assert membership.role == Role.RESEARCHER
    assert f"Role changed for {team.partner}." in messages_of(response)
    # The change takes effect at once: the former partner may now see the members.
    assert client_for(team.partner).get(members_url(team)).status_code == 200


def test_it_refuses_to_demote_the_last_coordinator(team: StudyTeam) -> None:
    membership = membership_of(team, team.coordinator)
    response = client_for(team.coordinator).post(
        reverse("membership_role", args=[team.study.pk, membership.pk]), {"role": Role.PARTNER}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["role"] == [LAST_COORDINATOR]
    assert "error-summary" in page_text(response)
    membership.refresh_from_db()
    assert membership.role == Role.COORDINATOR


def test_it_lets_a_coordinator_step_down_when_another_remains(team: StudyTeam) -> None:
    second = MembershipFactory(study=team.study, role=Role.COORDINATOR).user
    give_totp(second)
    membership = membership_of(team, team.coordinator)
    response = client_for(team.coordinator).post(
        reverse("membership_role", args=[team.study.pk, membership.pk]), {"role": Role.RESEARCHER}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.RESEARCHER


def test_it_rejects_a_role_that_does_not_exist(team: StudyTeam) -> None:
    membership = membership_of(team, team.partner)
    response = client_for(team.coordinator).post(
        reverse("membership_role", args=[team.study.pk, membership.pk]), {"role": "admin"}
    )
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    membership.refresh_from_db()
    assert membership.role == Role.PARTNER


# --- ending a membership ------------------------------------------------------------------


def test_it_refuses_to_end_the_last_coordinators_membership(team: StudyTeam) -> None:
    membership = membership_of(team, team.coordinator)
    response = client_for(team.coordinator).post(
        reverse("membership_end", args=[team.study.pk, membership.pk]), follow=True
    )
    assert LAST_COORDINATOR in messages_of(response)
    membership.refresh_from_db()
    assert membership.left_on is None
    assert client_for(team.coordinator).get(members_url(team)).status_code == 200


def test_it_asks_before_ending_a_membership(team: StudyTeam) -> None:
    membership = membership_of(team, team.partner)
    response = client_for(team.coordinator).get(
        reverse("membership_end", args=[team.study.pk, membership.pk])
    )
    assert shows(response, f"End the membership of {team.partner.display_name}?")
    membership.refresh_from_db()
    assert membership.left_on is None


def test_ending_a_membership_keeps_the_row_and_shuts_the_person_out(team: StudyTeam) -> None:
    membership = membership_of(team, team.partner)
    partner = client_for(team.partner)
    assert shows(partner.get(reverse("dashboard")), team.study.title)

    response = client_for(team.coordinator).post(
        reverse("membership_end", args=[team.study.pk, membership.pk]), follow=True
    )

    assert f"{team.partner} has left the study. Their involvement stays on record." in messages_of(
        response
    )
    membership.refresh_from_db()
    assert membership.left_on == timezone.localdate()
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert escaped(team.partner.display_name) in former_members(response)
    assert escaped(team.partner.display_name) not in current_members(response)

    assert partner.get(reverse("study_detail", args=[team.study.pk])).status_code == 404
    dashboard = partner.get(reverse("dashboard"))
    assert not shows(dashboard, team.study.title)
    assert "You are not part of any study yet." in page_text(dashboard)


def test_an_ended_membership_cannot_be_ended_or_changed_again(team: StudyTeam) -> None:
    membership = membership_end(membership=membership_of(team, team.partner))
    client = client_for(team.coordinator)
    assert (
        client.post(reverse("membership_end", args=[team.study.pk, membership.pk])).status_code
        == 404
    )
    response = client.post(
        reverse("membership_role", args=[team.study.pk, membership.pk]), {"role": Role.COORDINATOR}
    )
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.role == Role.PARTNER


def test_a_former_member_can_be_invited_again_and_rejoin(team: StudyTeam) -> None:
    old = membership_end(membership=membership_of(team, team.partner))
    coordinator = client_for(team.coordinator)

    response = coordinator.post(
        reverse("member_invite", args=[team.study.pk]),
        {"email": team.partner.email.upper(), "role": Role.PARTNER, "message": "Welcome back"},
        follow=True,
    )
    assert response.status_code == 200
    invitation = Invitation.objects.get(study=team.study, email__iexact=team.partner.email)
    assert invitation.is_pending
    assert any(team.partner.email.lower() in m.lower() for m in messages_of(response))
    assert invitation.email.lower() in waiting_invitations(response).lower()

    partner = client_for(team.partner)
    accept = partner.post(reverse("invitation_accept", args=[invitation_token(invitation)]))
    assert accept.status_code == 302

    rows = Membership.objects.filter(study=team.study, user=team.partner).order_by("id")
    # The old row stays as history; the new one is current.
    assert [(row.pk == old.pk, row.left_on is None) for row in rows] == [
        (True, False),
        (False, True),
    ]
    detail = partner.get(reverse("study_detail", args=[team.study.pk]))
    assert detail.status_code == 200
    assert shows(detail, team.study.title)


def test_it_refuses_to_invite_someone_who_is_already_a_member(team: StudyTeam) -> None:
    response = client_for(team.coordinator).post(
        reverse("member_invite", args=[team.study.pk]),
        {"email": team.partner.email, "role": Role.PARTNER},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        f"{team.partner.email} is already a member of this study."
    ]
    assert not Invitation.objects.filter(study=team.study).exists()


# --- queries --------------------------------------------------------------------------------

# Session, user, two-factor check, membership, current members, invitations, former members,
# emails that could not be delivered.
MEMBER_LIST_MAX_QUERIES = 8


@pytest.mark.parametrize("members", [3, 30])
def test_the_members_page_needs_the_same_queries_however_many_members(
    team: StudyTeam, django_assert_max_num_queries, members: int
) -> None:
    extra = members - 3
    roles = [Role.PARTNER, Role.RESEARCHER, Role.COORDINATOR]
    for n in range(extra):
        MembershipFactory(study=team.study, role=roles[n % 3])
    for _ in range(extra // 3):
        InvitationFactory(study=team.study, invited_by=team.coordinator)
        membership_end(
            membership=MembershipFactory(study=team.study, user=UserFactory(), role=Role.PARTNER)
        )
    client = client_for(team.coordinator)
    with django_assert_max_num_queries(MEMBER_LIST_MAX_QUERIES):
        response = client.get(members_url(team))
    assert len(response.context["members"]) == members
    assert len(response.context["past_members"]) == extra // 3


def test_a_coordinator_who_ends_their_own_membership_lands_on_the_dashboard(team):
    from engagement.services import membership_change_role

    other = Membership.objects.get(study=team.study, user=team.researcher)
    membership_change_role(membership=other, role=Role.COORDINATOR)
    own = Membership.objects.get(study=team.study, user=team.coordinator)

    response = client_for(team.coordinator).post(
        f"/studies/{team.study.pk}/members/{own.pk}/end/", follow=True
    )

    assert response.redirect_chain[-1][0] == "/"
    assert "You have left “Living well”" in response.content.decode()
    own.refresh_from_db()
    assert own.left_on is not None
