"""Account and security: one page linking to the password, email, two-factor and session pages."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client
from django.urls import reverse

from engagement.services import invitation_token
from portal.accounts.models import User
from portal.permissions import Role
from tests.conftest import client_for, give_totp
from tests.factories import PASSWORD, InvitationFactory, MembershipFactory, UserFactory


def recently_logged_in(user: User) -> Client:
    """A client whose session says the person has just typed their password again, as allauth
    asks before showing recovery codes or turning two-factor off."""
    client = client_for(user)
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "reauthenticated": True}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


def with_two_factor(user: User) -> User:
    give_totp(user)
    RecoveryCodes.activate(user)
    return user


def links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


@pytest.fixture
def partner(db: None) -> User:
    return MembershipFactory(role=Role.PARTNER).user


@pytest.fixture
def coordinator(db: None) -> User:
    return with_two_factor(MembershipFactory(role=Role.COORDINATOR).user)


def test_the_header_and_the_profile_link_to_the_account_page(partner):
    html = client_for(partner).get(reverse("profile")).content.decode()
    assert html.count(f'href="{reverse("security")}"') == 2  # the header and the profile
    assert "Change your email address, password or two-factor authentication" in html


def test_it_links_a_partner_without_two_factor_to_each_account_page(partner):
    response = client_for(partner).get(reverse("security"))
    assert response.status_code == 200
    found = links(response.content.decode())
    for name in (
        "account_change_password",
        "account_email",
        "mfa_activate_totp",
        "usersessions_list",
    ):
        assert reverse(name) in found, name
    assert reverse("mfa_deactivate_totp") not in found
    assert partner.email in response.content.decode()
    assert "Two-factor authentication is off." in response.content.decode()


def test_it_offers_a_partner_with_two_factor_recovery_codes_and_removing_it(partner):
    with_two_factor(partner)
    html = client_for(partner).get(reverse("security")).content.decode()
    found = links(html)
    assert reverse("mfa_view_recovery_codes") in found
    assert reverse("mfa_generate_recovery_codes") in found
    assert reverse("mfa_deactivate_totp") in found
    assert reverse("mfa_activate_totp") not in found
    assert "10 left" in html


def test_a_coordinator_who_must_keep_two_factor_is_not_offered_removing_it(coordinator):
    html = client_for(coordinator).get(reverse("security")).content.decode()
    found = links(html)
    assert reverse("mfa_view_recovery_codes") in found
    assert reverse("mfa_deactivate_totp") not in found
    assert "must keep two-factor authentication" in html


def test_a_coordinator_cannot_remove_two_factor_by_going_to_the_page(coordinator):
    client = recently_logged_in(coordinator)
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=coordinator, type=Authenticator.Type.TOTP).exists()


def test_a_partner_can_remove_two_factor(partner):
    with_two_factor(partner)
    response = recently_logged_in(partner).post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=partner, type=Authenticator.Type.TOTP).exists()


def test_a_coordinator_may_remove_two_factor_where_it_is_not_required(coordinator, settings):
    settings.COORDINATOR_MFA_REQUIRED = False
    html = client_for(coordinator).get(reverse("security")).content.decode()
    assert reverse("mfa_deactivate_totp") in links(html)


@pytest.mark.parametrize("who", ["partner", "coordinator"])
def test_every_page_it_links_to_answers_the_person(who, request):
    person = request.getfixturevalue(who)
    if who == "partner":
        with_two_factor(person)
    client = recently_logged_in(person)
    html = client.get(reverse("security")).content.decode()
    account_links = [
        url for url in links(html) if url.startswith("/accounts/") and url != reverse("security")
    ]
    assert len(account_links) >= 5
    for url in account_links:
        assert client.get(url).status_code == 200, url


def test_a_person_in_no_study_reaches_the_page(db):
    assert client_for(UserFactory()).get(reverse("security")).status_code == 200


def test_it_asks_a_visitor_to_log_in(db):
    response = Client().get(reverse("security"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"
)
WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)


def test_the_sessions_page_lists_where_the_person_logged_in(partner):
    client = Client(HTTP_USER_AGENT=IPHONE)
    login = client.post(reverse("account_login"), {"login": partner.email, "password": PASSWORD})
    assert login.status_code == 302
    html = client.get(reverse("usersessions_list")).content.decode()
    assert "Where you are logged in" in html
    # Named as people would say it, not as the browser's own long string.
    assert "Safari on an iPhone" in html
    assert "AppleWebKit" not in html
    assert "(this one)" in html
    assert "You are not logged in anywhere else." in html


def test_a_new_partner_sees_the_session_made_by_accepting_the_invitation(db):
    invitation = InvitationFactory(email="new.partner@example.org")
    client = Client(HTTP_USER_AGENT=WINDOWS_CHROME)
    password = "Brambles-and-kettles-77"
    client.post(
        reverse("invitation_accept", args=[invitation_token(invitation)]),
        {"display_name": "Pat Partner", "password1": password, "password2": password},
    )
    html = client.get(reverse("usersessions_list")).content.decode()
    assert "Chrome on Windows" in html


@pytest.mark.parametrize(
    "url_name", ["account_change_password", "account_email", "mfa_activate_totp"]
)
def test_each_account_page_leads_back_to_account_and_security(db: None, url_name: str) -> None:
    person = UserFactory()
    response = client_for(person).get(reverse(url_name), follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="{reverse("security")}">Back to account and security</a>' in page
