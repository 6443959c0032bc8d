"""A coordinator invites a partner by email; the partner follows the link and joins."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from engagement.services import study_create
from tests.browser.conftest import wait_for_mail
from tests.conftest import give_totp
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # the secret tests.conftest.give_totp stores


def current_totp() -> str:
    return format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))


def log_in_through_form(page: Any, live_server: Any, email: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    # A code is good only in its own 30-second window: one sent just as the window closes
    # arrives too late and is refused, and then the new window's code is the one to give.
    for _attempt in range(2):
        if not urlsplit(page.url).path.startswith("/accounts/2fa/"):
            break
        page.get_by_label(re.compile("code", re.I)).fill(current_totp())
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("Sign In|Log in", re.I)).click()
        page.wait_for_load_state()


def test_coordinator_invites_and_partner_joins(
    live_server: Any, new_page: Any, mailoutbox: list[Any]
) -> None:
    coordinator = UserFactory(display_name="Cora Coordinator")
    give_totp(coordinator)
    study = study_create(
        created_by=coordinator,
        title="Living well with arthritis",
        lay_summary="How people manage pain at home.",
        status="active",
    )

    coordinator_page = new_page()
    log_in_through_form(coordinator_page, live_server, coordinator.email, PASSWORD)
    expect(coordinator_page.get_by_role("heading", level=1)).to_contain_text("Hello")

    coordinator_page.get_by_role("rowheader").get_by_role("link", name=study.title).click()
    expect(coordinator_page.get_by_role("heading", level=1)).to_have_text(study.title)
    coordinator_page.get_by_role("link", name="Members", exact=True).click()
    expect(coordinator_page.get_by_role("heading", level=1)).to_have_text("Members")
    coordinator_page.get_by_role("link", name="Invite someone").click()

    coordinator_page.get_by_label("Email").fill("new.partner@example.org")
    expect(coordinator_page.get_by_role("radio", name="PPIE partner")).to_be_checked()
    coordinator_page.get_by_role("button", name="Send invitation").click()
    expect(coordinator_page.get_by_role("status")).to_contain_text(
        "Invitation sent to new.partner@example.org"
    )

    (email,) = wait_for_mail(1)
    assert email.to == ["new.partner@example.org"]
    links = re.findall(r"https?://\S+/invitations/[^/\s]+/", email.body)
    assert len(links) == 1, email.body
    accept_url = live_server.url + urlsplit(links[0]).path

    partner_page = new_page()
    partner_page.goto(accept_url)
    expect(partner_page.get_by_role("heading", level=1)).to_contain_text(study.title)
    partner_page.get_by_label("Your name").fill("Pat Partner")
    partner_page.get_by_label("Choose a password").fill("correct horse battery staple 7")
    partner_page.get_by_label("Type the password again").fill("correct horse battery staple 7")
    partner_page.get_by_role("button", name="Create account and join").click()

    # The first visit asks how to work with the partner; it can be skipped.
    expect(partner_page.get_by_role("heading", level=1)).to_have_text("Welcome to the portal")
    partner_page.get_by_role("link", name="Skip for now").first.click()
    expect(partner_page.get_by_role("heading", level=1)).to_have_text("Hello, Pat Partner")
    expect(partner_page.get_by_role("heading", name="Studies you are involved in")).to_be_visible()
    expect(partner_page.get_by_role("link", name=study.title, exact=True).first).to_be_visible()

    partner_page.goto(accept_url)
    expect(partner_page.get_by_role("heading", level=1)).to_have_text(
        "This invitation has been used"
    )
