"""Sign-up is closed; people log in with their email address."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from portal.accounts.models import User
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # allauth counts attempts in the cache; each test starts with none.
    cache.clear()


def logged_in_user_id(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def test_it_tells_visitors_that_accounts_are_by_invitation(db):
    response = Client().get(reverse("account_signup"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Accounts are by invitation" in content
    assert 'name="password1"' not in content


def test_it_creates_no_account_when_the_sign_up_form_is_posted(db):
    client = Client()
    response = client.post(
        reverse("account_signup"),
        {
            "email": "intruder@example.org",
            "password1": "Brambles-and-kettles-77",
            "password2": "Brambles-and-kettles-77",
        },
    )
    assert response.status_code == 200
    assert "Accounts are by invitation" in response.content.decode()
    assert not User.objects.filter(email__iexact="intruder@example.org").exists()
    assert logged_in_user_id(client) is None


def test_it_logs_in_with_email_and_password(db):
    user = UserFactory(email="lee@example.org")
    client = Client()

    response = client.post(
        reverse("account_login"), {"login": "lee@example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert logged_in_user_id(client) == user.pk
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.parametrize("typed", ["LEE@EXAMPLE.ORG", "Lee@Example.Org", "  lee@example.org  "])
def test_it_ignores_the_case_of_the_email_when_logging_in(db, typed):
    user = UserFactory(email="lee@example.org")
    client = Client()

    response = client.post(reverse("account_login"), {"login": typed, "password": PASSWORD})

    assert response.status_code == 302
    assert logged_in_user_id(client) == user.pk


@pytest.mark.parametrize(
    ("login", "password"),
    [("lee@example.org", "not-the-password"), ("nobody@example.org", PASSWORD)],
)
def test_it_refuses_a_wrong_password_or_unknown_email_with_an_error_summary(db, login, password):
    UserFactory(email="lee@example.org")
    client = Client()

    response = client.post(reverse("account_login"), {"login": login, "password": password})

    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_it_refuses_a_deactivated_account(db):
    UserFactory(email="gone@example.org", is_active=False)
    client = Client()
    client.post(reverse("account_login"), {"login": "gone@example.org", "password": PASSWORD})
    assert logged_in_user_id(client) is None


def test_it_returns_to_the_page_asked_for_after_logging_in(db):
    UserFactory(email="lee@example.org")
    response = Client().post(
        reverse("account_login"),
        {"login": "lee@example.org", "password": PASSWORD, "next": reverse("profile")},
    )
    assert response["Location"] == reverse("profile")


def test_it_does_not_follow_a_next_link_to_another_site(db):
    UserFactory(email="lee@example.org")
    response = Client().post(
        reverse("account_login"),
        {"login": "lee@example.org", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_it_offers_no_sign_up_link_on_the_login_page(db):
    response = Client().get(reverse("account_login"))
    assert response.status_code == 200
    content = response.content.decode()
    assert reverse("account_signup") not in content
    assert "sign up" not in content.lower()
    assert reverse("account_reset_password") in content
    assert "Accounts are made by invitation" in content


def test_it_sends_anonymous_visitors_to_log_in(db):
    response = Client().get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
