"""Password reset: no hint whether an address has an account; the email goes out after commit."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from portal.accounts.models import User
from tests.factories import UserFactory

RESET_LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)")
NEW_PASSWORD = "Otters-in-the-orchard-58"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def ask_for_reset(email: str, captured):
    with captured(execute=True):
        return Client().post(reverse("account_reset_password"), {"email": email})


def reset_links() -> list[str]:
    return [m.group(1) for message in mail.outbox for m in [RESET_LINK.search(message.body)] if m]


def test_it_answers_known_and_unknown_addresses_the_same_way(
    db, django_capture_on_commit_callbacks
):
    UserFactory(email="known@example.org")

    known = ask_for_reset("known@example.org", django_capture_on_commit_callbacks)
    unknown = ask_for_reset("unknown@example.org", django_capture_on_commit_callbacks)

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("account_reset_password_done")
    known_page = Client().get(known["Location"])
    assert known_page.status_code == 200
    for response in (known_page,):
        content = response.content.decode()
        assert "There is a problem" not in content
        assert "not assigned to any user" not in content
        assert "unknown@example.org" not in content


def test_it_shows_no_error_for_an_unknown_address(db, django_capture_on_commit_callbacks):
    response = ask_for_reset("unknown@example.org", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert not any("There is a problem" in m.body for m in mail.outbox)


def test_it_emails_a_reset_link_to_a_known_address_after_commit(
    db, django_capture_on_commit_callbacks
):
    UserFactory(email="known@example.org")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        Client().post(reverse("account_reset_password"), {"email": "known@example.org"})
    assert mail.outbox == []
    assert len(callbacks) == 1

    callbacks[0]()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["known@example.org"]
    assert message.subject.startswith("PPIE Portal: ")
    assert len(reset_links()) == 1


def test_it_sends_no_reset_link_to_an_unknown_address(db, django_capture_on_commit_callbacks):
    ask_for_reset("unknown@example.org", django_capture_on_commit_callbacks)
    assert reset_links() == []
    assert all(message.to == ["unknown@example.org"] for message in mail.outbox)


def test_it_finds_the_account_whatever_the_case_of_the_address(
    db, django_capture_on_commit_callbacks
):
    UserFactory(email="known@example.org")
    ask_for_reset("KNOWN@example.ORG", django_capture_on_commit_callbacks)
    assert len(reset_links()) == 1


def test_it_sets_a_new_password_from_the_emailed_link(db, django_capture_on_commit_callbacks):
    user = UserFactory(email="known@example.org")
    ask_for_reset("known@example.org", django_capture_on_commit_callbacks)
    (link,) = reset_links()
    client = Client()

    form = client.get(link, follow=True)
    assert form.status_code == 200
    assert 'name="password1"' in form.content.decode()
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = client.post(set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    login = Client().post(
        reverse("account_login"), {"login": "known@example.org", "password": NEW_PASSWORD}
    )
    assert login.status_code == 302
    assert User.objects.count() == 1


def test_a_used_link_says_so_in_plain_english_and_offers_a_new_one(
    db, django_capture_on_commit_callbacks
):
    UserFactory(email="known@example.org")
    ask_for_reset("known@example.org", django_capture_on_commit_callbacks)
    (link,) = reset_links()
    client = Client()
    form = client.get(link, follow=True)
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else link
    client.post(set_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = Client().get(link, follow=True)
    page = again.content.decode()
    assert again.status_code == 200
    assert re.search(r"<h1>\s*This link does not work\s*</h1>", page)
    assert "it may have been used already, or be too old" in page
    assert f'href="{reverse("account_reset_password")}">ask for a new link</a>' in page
    assert "Bad Token" not in page
