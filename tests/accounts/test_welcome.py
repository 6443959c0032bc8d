"""A partner's first visit: how they would like to be worked with, asked once and skippable."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from engagement.services import invitation_token
from portal.accounts.models import ContactMethod, PaymentPreference, Profile, User
from portal.permissions import Role
from tests.conftest import client_for
from tests.factories import InvitationFactory, UserFactory

NEW_PASSWORD = "Brambles-and-kettles-77"


def accept_as_new_account(role: str = Role.PARTNER) -> tuple[Client, str]:
    invitation = InvitationFactory(email="new.partner@example.org", role=role)
    link = reverse("invitation_accept", args=[invitation_token(invitation)])
    client = Client()
    response = client.post(
        link,
        {"display_name": "Pat Partner", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    return client, response["Location"]


def answers(**overrides: str) -> dict[str, str]:
    data = {
        "preferred_name": "Pat",
        "accessibility_needs": "Large print, please.",
        "contact_method": ContactMethod.PHONE,
        "phone": "01632 960 123",
        "email_frequency": "daily",
        "payment_preference": PaymentPreference.VOUCHERS,
        "payment_reduced_percent": "",
    }
    data.update(overrides)
    return data


def test_a_new_partner_is_asked_after_accepting_the_invitation(db):
    client, location = accept_as_new_account()
    assert location == reverse("welcome")
    response = client.get(location)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Welcome to the portal" in html
    for field in (
        "preferred_name",
        "accessibility_needs",
        "contact_method",
        "email_frequency",
        "payment_preference",
    ):
        assert f'name="{field}"' in html
    assert html.count("Why we ask") >= 5
    assert f'href="{reverse("dashboard")}">Skip for now</a>' in html


@pytest.mark.parametrize("role", [Role.RESEARCHER, Role.COORDINATOR])
def test_the_team_is_not_asked(db, role):
    _, location = accept_as_new_account(role)
    assert location == reverse("dashboard")


def test_it_is_shown_once(db):
    client, location = accept_as_new_account()
    client.get(location)  # skipped: the partner follows "Skip for now"
    user = User.objects.get(email="new.partner@example.org")
    assert Profile.objects.get(user=user).welcomed_at is not None

    second = InvitationFactory(email=user.email, role=Role.PARTNER)
    link = reverse("invitation_accept", args=[invitation_token(second)])
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_skipping_changes_nothing_but_the_welcome(db):
    client, location = accept_as_new_account()
    user = User.objects.get(email="new.partner@example.org")
    before = Profile.objects.get(user=user)
    client.get(location)
    assert client.get(reverse("dashboard")).status_code == 200
    after = Profile.objects.get(user=user)
    assert (after.preferred_name, after.contact_method, after.payment_preference) == (
        before.preferred_name,
        before.contact_method,
        before.payment_preference,
    )


def test_it_saves_the_answers_and_goes_to_the_dashboard(db):
    client, location = accept_as_new_account()
    client.get(location)
    response = client.post(reverse("welcome"), answers())
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    user = User.objects.get(email="new.partner@example.org")
    profile = Profile.objects.get(user=user)
    assert profile.preferred_name == "Pat"
    assert profile.accessibility_needs == "Large print, please."
    assert profile.contact_method == ContactMethod.PHONE
    assert profile.phone == "01632 960 123"
    assert profile.email_frequency == "daily"
    assert profile.payment_preference == PaymentPreference.VOUCHERS
    assert user.display_name == "Pat Partner"  # the name is not asked again
    assert "your answers are saved" in client.get(reverse("dashboard")).content.decode()


def test_bad_answers_give_the_error_summary_and_save_nothing(db):
    person = UserFactory()
    response = client_for(person).post(
        reverse("welcome"), answers(contact_method=ContactMethod.TEXT, phone="")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Enter a phone number so we can call or text you." in html
    profile = Profile.objects.get(user=person)
    assert profile.contact_method == ContactMethod.EMAIL
    assert profile.preferred_name == ""
    assert profile.welcomed_at is not None


def test_it_asks_a_visitor_to_log_in(db):
    response = Client().get(reverse("welcome"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
