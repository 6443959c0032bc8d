"""Automated accessibility checks (axe-core) and basic keyboard and layout checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from engagement.models import Contribution, Study
from engagement.services import invitation_token, study_create
from portal.accounts.models import User
from portal.home.reports.content import report_for
from portal.home.reports.services import report_save
from portal.notifications.tokens import unsubscribe_token
from portal.permissions import Role
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in_as
from tests.conftest import give_totp
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class World:
    study: Study
    coordinator: User
    partner: User
    valid_token: str
    expired_token: str


@pytest.fixture
def world() -> World:
    coordinator = UserFactory(display_name="Cora Coordinator")
    give_totp(coordinator)
    study = study_create(
        created_by=coordinator,
        title="Living well with arthritis",
        lay_summary="How people manage pain at home.",
        status="active",
    )
    partner = MembershipFactory(study=study, role=Role.PARTNER).user
    valid = InvitationFactory(
        study=study, invited_by=coordinator, message="We would love to hear from you."
    )
    expired = InvitationFactory(
        study=study,
        invited_by=coordinator,
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    return World(study, coordinator, partner, invitation_token(valid), invitation_token(expired))


# (label, who is logged in, path)
PAGES: list[tuple[str, str | None, Callable[[World], str]]] = [
    ("login", None, lambda w: "/accounts/login/"),
    ("password reset", None, lambda w: "/accounts/password/reset/"),
    ("invitation accept", None, lambda w: f"/invitations/{w.valid_token}/"),
    ("invitation expired", None, lambda w: f"/invitations/{w.expired_token}/"),
    ("partner dashboard", "partner", lambda w: "/"),
    ("coordinator dashboard", "coordinator", lambda w: "/"),
    ("study", "coordinator", lambda w: f"/studies/{w.study.pk}/"),
    ("members", "coordinator", lambda w: f"/studies/{w.study.pk}/members/"),
    ("invite", "coordinator", lambda w: f"/studies/{w.study.pk}/members/invite/"),
    ("stages", "coordinator", lambda w: f"/studies/{w.study.pk}/stages/"),
    (
        "comments with no answer",
        "coordinator",
        lambda w: f"/studies/{w.study.pk}/comments/unanswered/",
    ),
    ("profile", "partner", lambda w: "/profile/"),
    ("account and security", "partner", lambda w: "/accounts/security/"),
    ("account and security, two-factor kept", "coordinator", lambda w: "/accounts/security/"),
    ("where you are logged in", "partner", lambda w: "/accounts/sessions/"),
    ("change password", "partner", lambda w: "/accounts/password/change/"),
    ("first visit", "partner", lambda w: "/welcome/"),
    ("help for partners", None, lambda w: "/help/partners/"),
    ("help for researchers", "partner", lambda w: "/help/researchers/"),
    ("help for coordinators", "coordinator", lambda w: "/help/coordinators/"),
    ("what's new, nothing yet", "coordinator", lambda w: "/whats-new/"),
    ("stop email reminders", None, lambda w: f"/unsubscribe/{unsubscribe_token(w.partner.pk)}/"),
    ("unsubscribe link that does not work", None, lambda w: "/unsubscribe/not-a-token/"),
    ("not found", "partner", lambda w: "/studies/999999/"),
    ("study report, nothing yet", "coordinator", lambda w: f"/studies/{w.study.pk}/report/"),
    (
        "study report history, empty",
        "coordinator",
        lambda w: f"/studies/{w.study.pk}/report/history/",
    ),
]


@pytest.mark.parametrize(
    ("who", "path"), [(who, path) for _, who, path in PAGES], ids=[p[0] for p in PAGES]
)
def test_page_has_no_axe_violations(
    live_server: Any, page: Any, world: World, who: str | None, path: Callable[[World], str]
) -> None:
    if who is not None:
        log_in_as(page, live_server, getattr(world, who))
    page.goto(live_server.url + path(world))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)


def test_invite_page_with_errors_has_no_axe_violations(
    live_server: Any, page: Any, world: World
) -> None:
    log_in_as(page, live_server, world.coordinator)
    page.goto(f"{live_server.url}/studies/{world.study.pk}/members/invite/")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize(
    ("who", "path"),
    [(None, "/accounts/login/"), ("partner", "/"), ("coordinator", "members")],
    ids=["login", "dashboard", "members"],
)
def test_skip_link_is_first_and_language_is_set(
    live_server: Any, page: Any, world: World, who: str | None, path: str
) -> None:
    if who is not None:
        log_in_as(page, live_server, getattr(world, who))
    if path == "members":
        path = f"/studies/{world.study.pk}/members/"
    page.goto(live_server.url + path)
    assert page.evaluate("document.documentElement.lang") == "en-GB"

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Skip to main content" in focused
    expect(page.get_by_role("link", name="Skip to main content")).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


@pytest.mark.parametrize(
    ("who", "path"),
    [("partner", "/"), ("coordinator", "/"), ("coordinator", "members")],
    ids=["partner dashboard", "coordinator dashboard", "members"],
)
def test_no_horizontal_scroll_on_a_narrow_phone(
    live_server: Any, new_page: Any, world: World, who: str, path: str
) -> None:
    page = new_page(viewport={"width": 360, "height": 740})
    log_in_as(page, live_server, getattr(world, who))
    if path == "members":
        path = f"/studies/{world.study.pk}/members/"
    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360 + 1, f"{path} is {scroll_width}px wide on a 360px screen"


def test_error_summary_takes_focus_and_links_to_the_field(
    live_server: Any, page: Any, world: World
) -> None:
    log_in_as(page, live_server, world.coordinator)
    page.goto(f"{live_server.url}/studies/{world.study.pk}/members/invite/")
    page.get_by_role("button", name="Send invitation").press("Enter")

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Email")

    page.keyboard.press("Tab")
    link = summary.get_by_role("link", name="Email")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Email")).to_be_focused()


def _report_with_records(world: World) -> None:
    """Two saved drafts and approved involvement, so the report has its tables and chart."""
    report_save(report_for(world.study), {"aim": "To shape the study."}, world.coordinator)
    report_save(
        report_for(world.study),
        {"aim": "To shape the study.", "reflections": "Pay for taxis."},
        world.coordinator,
    )
    stage = world.study.stages.order_by("position").first()
    Contribution.objects.create(
        partner=world.partner,
        study=world.study,
        stage=stage,
        activity_type="meeting",
        activity_date=timezone.localdate(),
        minutes=90,
        what_they_did="Steering group",
        what_changed="The letter was rewritten.",
        impact_standards=["impact"],
        state="approved",
    )


@pytest.mark.parametrize(
    "path",
    ["report/", "report/history/", "report/?date_from=2026-05-01&date_to=2026-04-01"],
    ids=["report", "history", "report with a period error"],
)
def test_the_study_report_with_records_has_no_axe_violations(
    live_server: Any, page: Any, world: World, path: str
) -> None:
    _report_with_records(world)
    log_in_as(page, live_server, world.coordinator)
    page.goto(f"{live_server.url}/studies/{world.study.pk}/{path}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if path == "report/history/":
        page.get_by_text("Read version 2").click()
    assert_accessible(page)
