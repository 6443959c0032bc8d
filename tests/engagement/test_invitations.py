"""Inviting people to a study and accepting the invitation, from the email to the dashboard."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
from unittest import mock
from urllib.parse import unquote

import pytest
from allauth.account.models import EmailAddress
from django.core import mail, signing
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from engagement.models import Invitation, Membership
from engagement.services import INVITATION_SALT, invitation_from_token, invitation_token
from engagement.tasks import invitation_send
from portal.accounts.models import Profile, User
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for, give_totp
from tests.factories import PASSWORD, InvitationFactory, MembershipFactory, UserFactory

NEW_PASSWORD = "Brambles-and-kettles-77"
LINK = re.compile(r"(/invitations/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # allauth counts login attempts in the cache; each test starts with none.
    cache.clear()


def invite(
    client: Client,
    study_id: int,
    captured,
    *,
    email: str = "new.partner@example.org",
    role: str = Role.PARTNER,
    message: str = "",
):
    with captured(execute=True):
        return client.post(
            reverse("member_invite", args=[study_id]),
            {"email": email, "role": role, "message": message},
        )


def link_in(message: mail.EmailMessage) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def link_for(invitation: Invitation) -> str:
    return reverse("invitation_accept", args=[invitation_token(invitation)])


def sign_up(client: Client, link: str, **overrides: str):
    data = {"display_name": "Pat Partner", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    data.update(overrides)
    return client.post(link, data)


@pytest.fixture
def invited(team: StudyTeam, django_capture_on_commit_callbacks) -> tuple[Invitation, str]:
    """A partner invitation sent by the coordinator, and the link from its email."""
    response = invite(
        client_for(team.coordinator), team.study.pk, django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(study=team.study, email="new.partner@example.org")
    return invitation, link_in(mail.outbox[-1])


# --- sending -----------------------------------------------------------------


def test_it_emails_an_accept_link_when_a_coordinator_invites_someone(
    team, django_capture_on_commit_callbacks
):
    response = invite(
        client_for(team.coordinator),
        team.study.pk,
        django_capture_on_commit_callbacks,
        message="We would value your view on the leaflets.",
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("member_list", args=[team.study.pk])
    invitation = Invitation.objects.get(study=team.study, email="new.partner@example.org")
    assert invitation.role == Role.PARTNER
    assert invitation.invited_by == team.coordinator
    assert invitation.sent_at is not None
    assert invitation.send_error == ""
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.partner@example.org"]
    assert "Living well" in message.subject or "Living well" in message.body
    assert "We would value your view on the leaflets." in message.body
    link = link_in(message)
    assert invitation_from_token(link.split("/")[-2]) == (invitation, None)
    html = message.alternatives[0][0]
    assert link in html


def test_it_sends_nothing_until_the_invitation_is_committed(
    team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(team.coordinator).post(
            reverse("member_invite", args=[team.study.pk]),
            {"email": "later@example.org", "role": Role.PARTNER},
        )
    assert response.status_code == 302
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_it_shows_the_invitation_on_the_members_page_once_sent(team, invited):
    response = client_for(team.coordinator).get(reverse("member_list", args=[team.study.pk]))
    assert response.status_code == 200
    assert "new.partner@example.org" in response.content.decode()
    assert "Sent " in response.content.decode()


@pytest.mark.parametrize("role", [Role.PARTNER, Role.RESEARCHER])
def test_it_refuses_invitations_from_members_who_do_not_manage_the_study(
    team, django_capture_on_commit_callbacks, role
):
    member = team.partner if role == Role.PARTNER else team.researcher
    response = invite(client_for(member), team.study.pk, django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_it_hides_the_invite_page_from_people_outside_the_study(
    team, django_capture_on_commit_callbacks
):
    response = invite(client_for(team.outsider), team.study.pk, django_capture_on_commit_callbacks)
    assert response.status_code == 404
    assert not Invitation.objects.exists()


# --- accepting as a new person -------------------------------------------------


def test_it_shows_the_create_account_form_with_the_study_name_to_an_anonymous_visitor(
    team, invited
):
    _, link = invited
    response = Client().get(link)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Living well" in content
    assert "Create your account" in content
    assert "new.partner@example.org" in content
    assert 'name="password1"' in content
    assert 'name="display_name"' in content
    assert "Cora Coordinator" in content


def test_it_creates_a_verified_partner_account_and_logs_in_from_the_invitation(team, invited):
    invitation, link = invited
    client = Client()

    response = sign_up(client, link)

    assert response.status_code == 302
    assert response["Location"] == reverse("welcome")  # a partner's first visit
    user = User.objects.get(email="new.partner@example.org")
    assert user.display_name == "Pat Partner"
    assert user.check_password(NEW_PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert address.email == "new.partner@example.org"
    assert address.verified
    assert address.primary
    assert Profile.objects.filter(user=user).exists()
    membership = Membership.objects.get(user=user, study=team.study)
    assert membership.role == Role.PARTNER
    assert membership.left_on is None
    assert membership.added_by == team.coordinator
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.accepted_by == user
    assert int(client.session["_auth_user_id"]) == user.pk

    welcome = client.get(response["Location"])
    assert welcome.status_code == 200
    assert "You have joined" in welcome.content.decode()
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    content = dashboard.content.decode()
    assert "Living well" in content
    assert "Studies you are involved in" in content


def test_it_lets_the_new_account_log_in_with_its_password_later(team, invited):
    _, link = invited
    sign_up(Client(), link)
    response = Client().post(
        reverse("account_login"), {"login": "new.partner@example.org", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_it_gives_a_researcher_invitation_the_researcher_role(
    team, django_capture_on_commit_callbacks
):
    invite(
        client_for(team.coordinator),
        team.study.pk,
        django_capture_on_commit_callbacks,
        email="rhea@example.org",
        role=Role.RESEARCHER,
    )
    sign_up(Client(), link_in(mail.outbox[-1]))
    membership = Membership.objects.get(user__email="rhea@example.org")
    assert membership.role == Role.RESEARCHER


def test_it_refuses_a_second_use_of_the_link_with_410(team, invited):
    _, link = invited
    sign_up(Client(), link)

    response = Client().get(link)

    assert response.status_code == 410
    assert "This invitation has been used" in response.content.decode()
    again = sign_up(Client(), link, display_name="Someone Else")
    assert again.status_code == 410
    assert User.objects.filter(email="new.partner@example.org").count() == 1
    assert (
        Membership.objects.filter(
            study=team.study, user__email__iexact="new.partner@example.org"
        ).count()
        == 1
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password2": "Something-else-entirely-91"}, "The two passwords are not the same."),
        ({"password1": "password1234", "password2": "password1234"}, "too common"),
        ({"password1": "short1", "password2": "short1"}, "too short"),
        ({"password1": "new.partner.example", "password2": "new.partner.example"}, "too similar"),
        ({"display_name": ""}, "This field is required."),
    ],
)
def test_it_refuses_an_account_with_a_bad_password_or_no_name(team, invited, overrides, message):
    invitation, link = invited

    response = sign_up(Client(), link, **overrides)

    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert message in content
    assert not User.objects.filter(email__iexact=invitation.email).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


# --- links that cannot be used --------------------------------------------------


def test_it_shows_the_expired_page_with_410_and_who_to_ask(team, invited):
    invitation, link = invited
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    response = Client().get(link)

    assert response.status_code == 410
    content = response.content.decode()
    assert "This invitation has expired" in content
    assert "How to get a new invitation" in content
    assert "Cora Coordinator" in content
    assert team.coordinator.email in content
    assert sign_up(Client(), link).status_code == 410
    assert not User.objects.filter(email=invitation.email).exists()


def test_it_still_explains_an_expired_link_when_the_inviter_has_gone(team):
    invitation = InvitationFactory(
        study=team.study, invited_by=None, expires_at=timezone.now() - dt.timedelta(days=1)
    )
    response = Client().get(link_for(invitation))
    assert response.status_code == 410
    assert "Ask the person who invited you" in response.content.decode()


def _flip_last(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def _signed(payload: object, salt: str = INVITATION_SALT) -> str:
    return signing.Signer(salt=salt).sign_object(payload)


TAMPERED = {
    "flipped signature": lambda inv: _flip_last(invitation_token(inv)),
    "cut short": lambda inv: invitation_token(inv)[:-5],
    "extra character": lambda inv: invitation_token(inv) + "x",
    "garbage": lambda inv: "garbage",
    "colons": lambda inv: "a:b:c",
    "dots": lambda inv: "..",
    "percent escape": lambda inv: "%00",
    "very long": lambda inv: "x" * 2000,
    "another salt": lambda inv: _signed({"i": inv.pk, "n": inv.nonce}, salt="another.salt"),
    "unknown id": lambda inv: _signed({"i": 987654321, "n": inv.nonce}),
    "id not a number": lambda inv: _signed({"i": "one", "n": inv.nonce}),
    "id null": lambda inv: _signed({"i": None, "n": inv.nonce}),
    "no id": lambda inv: _signed({"n": inv.nonce}),
    "a list": lambda inv: _signed([inv.pk, inv.nonce]),
    "a string": lambda inv: _signed("just a string"),
}


@pytest.mark.parametrize("case", list(TAMPERED))
def test_it_answers_a_tampered_or_garbage_link_with_404_not_500(team, invited, case):
    invitation, _ = invited
    token = TAMPERED[case](invitation)
    client = Client(raise_request_exception=False)

    response = client.get(reverse("invitation_accept", args=[token]))
    posted = client.post(
        reverse("invitation_accept", args=[token]),
        {"display_name": "Mallory", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 404
    assert "This invitation link does not work" in response.content.decode()
    assert posted.status_code == 404
    assert not User.objects.filter(display_name="Mallory").exists()


def test_it_answers_a_withdrawn_invitation_with_410(team, invited):
    invitation, link = invited
    response = client_for(team.coordinator).post(
        reverse("invitation_revoke", args=[team.study.pk, invitation.pk])
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None

    page = Client().get(link)

    assert page.status_code == 410
    assert "This invitation was withdrawn" in page.content.decode()
    assert sign_up(Client(), link).status_code == 410
    assert not User.objects.filter(email=invitation.email).exists()


def test_it_drops_a_withdrawn_invitation_from_the_members_page(team, invited):
    invitation, _ = invited
    coordinator = client_for(team.coordinator)
    coordinator.post(reverse("invitation_revoke", args=[team.study.pk, invitation.pk]))
    response = coordinator.get(reverse("member_list", args=[team.study.pk]))
    content = response.content.decode()
    waiting = content.split('id="invitations-heading"', 1)[1].split("</section>", 1)[0]
    assert "new.partner@example.org" not in waiting
    assert "No invitations are waiting." in waiting


def test_it_makes_the_old_link_stop_working_when_the_invitation_is_sent_again(
    team, invited, django_capture_on_commit_callbacks
):
    invitation, old_link = invited
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(team.coordinator).post(
            reverse("invitation_resend", args=[team.study.pk, invitation.pk])
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    new_link = link_in(mail.outbox[1])
    assert new_link != old_link
    assert mail.outbox[1].to == ["new.partner@example.org"]

    old = Client().get(old_link)
    assert old.status_code == 410
    assert "This invitation has expired" in old.content.decode()
    assert sign_up(Client(), old_link).status_code == 410
    assert not User.objects.filter(email=invitation.email).exists()

    new = Client().get(new_link)
    assert new.status_code == 200
    assert "Create your account" in new.content.decode()
    assert sign_up(Client(), new_link).status_code == 302
    assert Membership.objects.filter(study=team.study, user__email=invitation.email).exists()


def test_it_gives_a_resent_expired_invitation_a_fresh_expiry(
    team, django_capture_on_commit_callbacks
):
    invitation = InvitationFactory(
        study=team.study,
        invited_by=team.coordinator,
        expires_at=timezone.now() - dt.timedelta(days=2),
        sent_at=timezone.now() - dt.timedelta(days=16),
    )
    with django_capture_on_commit_callbacks(execute=True):
        client_for(team.coordinator).post(
            reverse("invitation_resend", args=[team.study.pk, invitation.pk])
        )
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + dt.timedelta(days=13)
    assert len(mail.outbox) == 1
    assert Client().get(link_in(mail.outbox[0])).status_code == 200


def test_it_refuses_to_resend_an_accepted_invitation(
    team, invited, django_capture_on_commit_callbacks
):
    invitation, link = invited
    sign_up(Client(), link)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(team.coordinator).post(
            reverse("invitation_resend", args=[team.study.pk, invitation.pk]), follow=True
        )
    assert "already been used or withdrawn" in response.content.decode()
    assert len(mail.outbox) == 1


def test_it_does_not_resend_another_studys_invitation(team, django_capture_on_commit_callbacks):
    foreign = InvitationFactory(study=team.other_study)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(team.coordinator).post(
            reverse("invitation_resend", args=[team.study.pk, foreign.pk])
        )
    assert response.status_code == 404
    assert mail.outbox == []


# --- refusals on the invite form -------------------------------------------------


@pytest.mark.parametrize("shout", [False, True])
def test_it_refuses_to_invite_a_current_member(team, django_capture_on_commit_callbacks, shout):
    email = team.partner.email.upper() if shout else team.partner.email

    response = invite(
        client_for(team.coordinator), team.study.pk, django_capture_on_commit_callbacks, email=email
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert "is already a member of this study" in content
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_it_lets_a_former_member_be_invited_back(team, django_capture_on_commit_callbacks):
    Membership.objects.filter(user=team.partner).update(left_on=timezone.localdate())
    response = invite(
        client_for(team.coordinator),
        team.study.pk,
        django_capture_on_commit_callbacks,
        email=team.partner.email,
    )
    assert response.status_code == 302
    assert Invitation.objects.filter(email=team.partner.email).count() == 1


@pytest.mark.parametrize("email", ["new.partner@example.org", "NEW.Partner@example.org"])
def test_it_refuses_a_second_invitation_while_one_is_waiting(
    team, invited, django_capture_on_commit_callbacks, email
):
    response = invite(
        client_for(team.coordinator), team.study.pk, django_capture_on_commit_callbacks, email=email
    )

    assert response.status_code == 200
    assert "has already been invited" in response.content.decode()
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_it_allows_a_new_invitation_once_the_old_one_has_expired(
    team, invited, django_capture_on_commit_callbacks
):
    invitation, _ = invited
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = invite(
        client_for(team.coordinator), team.study.pk, django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    assert Invitation.objects.count() == 2


def test_it_allows_the_same_address_to_be_invited_to_another_study(
    team, invited, django_capture_on_commit_callbacks
):
    other = MembershipFactory(study=team.other_study, role=Role.COORDINATOR).user
    give_totp(other)
    response = invite(client_for(other), team.other_study.pk, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert Invitation.objects.filter(email="new.partner@example.org").count() == 2


@pytest.mark.parametrize(
    ("data", "field_id"),
    [
        ({"email": "not-an-email", "role": Role.PARTNER}, "id_email"),
        ({"email": "", "role": Role.PARTNER}, "id_email"),
        ({"email": "someone@example.org", "role": ""}, "id_role"),
        ({"email": "someone@example.org", "role": "overlord"}, "id_role"),
    ],
)
def test_it_shows_an_error_summary_and_saves_nothing_for_an_invalid_invitation(
    team, django_capture_on_commit_callbacks, data, field_id
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(team.coordinator).post(
            reverse("member_invite", args=[team.study.pk]), data
        )

    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    summary = content.split("error-summary", 1)[1].split("</div>", 1)[0]
    linked = re.findall(r'href="#([^"]*)"', summary)
    assert linked, summary
    assert all(target.startswith(field_id) for target in linked), linked
    for target in linked:
        assert f'id="{target}"' in content, target
    assert not Invitation.objects.exists()
    assert mail.outbox == []


# --- accepting with an existing account -------------------------------------------


@pytest.fixture
def existing() -> User:
    return UserFactory(email="known@example.org", display_name="Kim Known")


@pytest.fixture
def invited_existing(team, existing, django_capture_on_commit_callbacks):
    invite(
        client_for(team.coordinator),
        team.study.pk,
        django_capture_on_commit_callbacks,
        email="Known@Example.org",
    )
    invitation = Invitation.objects.get(email__iexact="known@example.org")
    return invitation, link_in(mail.outbox[-1])


def test_it_asks_an_existing_account_holder_to_log_in_to_accept(team, invited_existing):
    _, link = invited_existing

    response = Client().get(link)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Log in to accept" in content
    assert f"{reverse('account_login')}?next={link}" in unquote(content)
    assert 'name="password1"' not in content
    assert User.objects.filter(email__iexact="known@example.org").count() == 1


def test_it_does_not_create_a_second_account_when_an_existing_holder_posts_the_form(
    team, existing, invited_existing
):
    _, link = invited_existing
    response = sign_up(Client(), link)
    assert response.status_code == 200
    assert "Log in to accept" in response.content.decode()
    assert User.objects.filter(email__iexact="known@example.org").count() == 1
    assert not Membership.objects.filter(user=existing, study=team.study).exists()


def test_it_joins_an_existing_account_after_logging_in_and_confirming(
    team, existing, invited_existing
):
    invitation, link = invited_existing
    client = Client()

    login = client.post(
        reverse("account_login"),
        {"login": "known@example.org", "password": PASSWORD, "next": link},
    )
    assert login.status_code == 302
    assert login["Location"] == link

    confirm = client.get(link)
    assert confirm.status_code == 200
    content = confirm.content.decode()
    assert "Accept and join" in content
    assert "Living well" in content
    assert "You are logged in as" not in content
    assert not Membership.objects.filter(user=existing, study=team.study).exists()

    accepted = client.post(link)

    assert accepted.status_code == 302
    assert accepted["Location"] == reverse("welcome")  # never welcomed before
    membership = Membership.objects.get(user=existing, study=team.study)
    assert membership.role == Role.PARTNER
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.accepted_by == existing
    assert "Living well" in client.get(reverse("dashboard")).content.decode()
    assert client.get(link).status_code == 410


def test_it_turns_away_an_account_the_invitation_was_not_sent_to(team, invited):
    invitation, link = invited
    someone = UserFactory(email="someone.else@example.org")
    client = client_for(someone)

    response = client.get(link)
    refused = client.post(link)

    assert response.status_code == 403
    content = response.content.decode()
    assert "This invitation is for another account" in content
    assert "This invitation was sent to new.partner@example.org" in content
    assert "someone.else@example.org" in content
    assert "Log out and continue" in content
    assert refused.status_code == 403
    assert not Membership.objects.filter(user=someone, study=team.study).exists()
    invitation.refresh_from_db()
    assert invitation.is_pending


def test_it_accepts_for_a_verified_second_address_of_the_account(team, invited):
    invitation, link = invited
    someone = UserFactory(email="main.address@example.org")
    EmailAddress.objects.create(user=someone, email=invitation.email, verified=True)

    response = client_for(someone).post(link)

    assert response.status_code == 302
    assert Membership.objects.filter(user=someone, study=team.study, role=Role.PARTNER).exists()


def test_it_keeps_the_current_role_of_someone_already_in_the_study(team):
    invitation = InvitationFactory(study=team.study, email=team.researcher.email)
    link = reverse("invitation_accept", args=[invitation_token(invitation)])
    client = client_for(team.researcher)

    response = client.post(link, follow=True)

    memberships = Membership.objects.filter(user=team.researcher, study=team.study)
    assert [m.role for m in memberships] == [Role.RESEARCHER]
    invitation.refresh_from_db()
    assert invitation.accepted_by == team.researcher
    assert "You were already a member" in response.content.decode()


def test_it_refuses_a_logged_in_accept_of_an_expired_invitation(team, invited):
    invitation, link = invited
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    someone = UserFactory()
    response = client_for(someone).post(link)
    assert response.status_code == 410
    assert not Membership.objects.filter(user=someone, study=team.study).exists()


# --- configuration -----------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 3, 30])
def test_it_sets_the_expiry_from_the_invitation_expiry_days_setting(
    team, settings, django_capture_on_commit_callbacks, days
):
    settings.INVITATION_EXPIRY_DAYS = days
    before = timezone.now()

    coordinator = client_for(team.coordinator)
    response = invite(coordinator, team.study.pk, django_capture_on_commit_callbacks)

    after = timezone.now()
    invitation = Invitation.objects.get()
    assert before + dt.timedelta(days=days) <= invitation.expires_at
    assert invitation.expires_at <= after + dt.timedelta(days=days)
    follow = coordinator.get(response["Location"])
    until = date_format(timezone.localtime(invitation.expires_at), "j F Y")
    assert f"The link works until {until}" in follow.content.decode()


# --- the sending task ----------------------------------------------------------------


def test_it_sends_an_invitation_only_once_when_the_task_runs_twice(team):
    invitation = InvitationFactory(study=team.study, invited_by=team.coordinator)

    invitation_send(invitation.pk)
    invitation_send.delay(invitation.pk)

    assert len(mail.outbox) == 1
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_it_returns_quietly_when_the_invitation_was_deleted(team):
    invitation = InvitationFactory(study=team.study, invited_by=team.coordinator)
    invitation_id = invitation.pk
    invitation.delete()

    assert invitation_send(invitation_id) is None
    assert invitation_send.delay(invitation_id).successful()
    assert mail.outbox == []


@pytest.mark.parametrize("state", ["accepted_at", "revoked_at"])
def test_it_sends_nothing_for_an_invitation_no_longer_waiting(team, state):
    invitation = InvitationFactory(
        study=team.study, invited_by=team.coordinator, **{state: timezone.now()}
    )
    invitation_send(invitation.pk)
    assert mail.outbox == []


def test_it_records_a_permanent_delivery_failure_and_shows_it_to_the_coordinator(
    team, django_capture_on_commit_callbacks
):
    refused = smtplib.SMTPRecipientsRefused({"bad@example.org": (550, b"No such mailbox")})
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=refused):
        response = invite(
            client_for(team.coordinator),
            team.study.pk,
            django_capture_on_commit_callbacks,
            email="bad@example.org",
        )

    assert response.status_code == 302
    invitation = Invitation.objects.get(email="bad@example.org")
    assert invitation.sent_at is None
    assert "could not be delivered" in invitation.send_error
    assert "SMTPRecipientsRefused" in invitation.send_error
    members = client_for(team.coordinator).get(reverse("member_list", args=[team.study.pk]))
    assert invitation.send_error in members.content.decode()


def test_it_records_a_refusal_from_the_smtp_connection(team, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    invitation = InvitationFactory(study=team.study, invited_by=team.coordinator)
    connection = mock.MagicMock()
    connection.sendmail.side_effect = smtplib.SMTPRecipientsRefused(
        {invitation.email: (550, b"User unknown")}
    )
    with mock.patch("smtplib.SMTP", return_value=connection):
        invitation_send(invitation.pk)

    invitation.refresh_from_db()
    assert invitation.sent_at is None
    assert "SMTPRecipientsRefused" in invitation.send_error


def test_it_clears_the_delivery_failure_when_sent_again(team, django_capture_on_commit_callbacks):
    invitation = InvitationFactory(
        study=team.study,
        invited_by=team.coordinator,
        send_error="The email could not be delivered (SMTPRecipientsRefused).",
    )
    with django_capture_on_commit_callbacks(execute=True):
        client_for(team.coordinator).post(
            reverse("invitation_resend", args=[team.study.pk, invitation.pk])
        )
    invitation.refresh_from_db()
    assert invitation.send_error == ""
    assert invitation.sent_at is not None
    assert len(mail.outbox) == 1


def test_accepting_withdraws_other_invitations_to_the_same_address(team):
    first = InvitationFactory(study=team.study, email="twice@example.org")
    second = InvitationFactory(study=team.study, email="Twice@example.org")
    link = reverse("invitation_accept", args=[invitation_token(second)])

    Client().post(link, {"display_name": "Twice", "password1": PASSWORD, "password2": PASSWORD})

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert not team.study.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    ).exists()


def test_the_invitation_form_offers_the_three_roles_and_no_blank_choice(team) -> None:
    from django.urls import reverse

    from tests.conftest import client_for

    page = client_for(team.coordinator).get(reverse("member_invite", args=[team.study.pk]))
    html = page.content.decode()
    assert html.count('name="role"') == 3
    assert "---------" not in html
