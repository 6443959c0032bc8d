"""The login page's wording: one way to say each thing, in the site's own style."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse


def test_it_offers_one_forgotten_password_link(db):
    html = Client().get(reverse("account_login")).content.decode()
    assert html.count(f'href="{reverse("account_reset_password")}"') == 1
    assert "Forgotten your password?" in html
    assert "Forgot your password?" not in html


def test_remember_me_is_written_as_the_rest_of_the_site(db):
    html = Client().get(reverse("account_login")).content.decode()
    assert "Remember me" in html
    assert "Remember Me" not in html
    assert "Leave this unticked on a shared computer." in html
