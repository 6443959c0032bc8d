"""Privacy pages in Chromium: axe-core finds nothing on the erasure confirmation (as offered,
refused and with its error), the erased page, a partner's profile and the access record; the
record's table scrolls on a phone rather than the page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from engagement.involvement.services.contributions import contribution_approve, contribution_submit
from engagement.models import Study
from engagement.services import study_create
from portal.accounts.models import Profile, SensitiveVerb, SensitiveWhat, User
from portal.accounts.services import sensitive_access_record
from portal.home.privacy.services import person_erase
from portal.permissions import Role
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in_as
from tests.conftest import StudyTeam, give_totp
from tests.factories import MembershipFactory, UserFactory
from tests.home.privacy_data import contribution

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class World:
    study: Study
    coordinator: User
    partner: User
    owed: User
    erased: User


def _partner(study: Study, name: str) -> User:
    user = MembershipFactory(study=study, role=Role.PARTNER, user__display_name=name).user
    Profile.objects.filter(user=user).update(
        accessibility_needs="Large print, please", phone="0115 496 0000", contact_method="text"
    )
    return user


@pytest.fixture
def world() -> World:
    coordinator = UserFactory(display_name="Cora Coordinator")
    give_totp(coordinator)
    study = study_create(
        created_by=coordinator, title="Living well", lay_summary="About it.", status="active"
    )
    partner = _partner(study, "Pat Partner")
    owed = _partner(study, "Owen Owed")
    team = StudyTeam(study, coordinator, coordinator, owed, coordinator, study)
    claim = contribution(team, "A workshop")
    contribution_submit(contribution=claim)
    contribution_approve(contribution=claim, by=coordinator)
    erased = _partner(study, "Erin Erased")
    for who in (partner, owed):
        for what in (SensitiveWhat.PROFILE, SensitiveWhat.RECEIPT):
            sensitive_access_record(
                by=coordinator,
                subject=who,
                what=what,
                verb=SensitiveVerb.VIEWED,
                study_id=study.pk,
                detail="Receipt for travel, £4.20, involvement on 3 Mar 2026",
            )
    person_erase(person=erased, by=coordinator)
    return World(study, coordinator, partner, owed, erased)


PAGES: list[tuple[str, Callable[[World], str]]] = [
    ("erase, confirmation", lambda w: f"/people/{w.partner.pk}/erase/"),
    ("erase, refused", lambda w: f"/people/{w.owed.pk}/erase/"),
    ("erased", lambda w: f"/people/{w.erased.pk}/erase/"),
    (
        "partner profile",
        lambda w: f"/studies/{w.study.pk}/members/partners/{w.partner.pk}/profile/",
    ),
    ("access record", lambda w: f"/studies/{w.study.pk}/privacy/access-record/"),
    ("members with privacy links", lambda w: f"/studies/{w.study.pk}/members/"),
]


@pytest.mark.parametrize("path", [path for _, path in PAGES], ids=[p[0] for p in PAGES])
def test_page_has_no_axe_violations(
    live_server: Any, page: Any, world: World, path: Callable[[World], str]
) -> None:
    log_in_as(page, live_server, world.coordinator)
    page.goto(live_server.url + path(world))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)


def test_the_unticked_confirmation_has_no_axe_violations_and_leads_to_the_box(
    live_server: Any, page: Any, world: World
) -> None:
    log_in_as(page, live_server, world.coordinator)
    page.goto(f"{live_server.url}/people/{world.partner.pk}/erase/")
    page.get_by_role("button", name="Erase personal data").press("Enter")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label("I understand that this cannot be undone")).to_be_focused()


def test_the_access_record_fits_a_phone(live_server: Any, new_page: Any, world: World) -> None:
    page = new_page(viewport={"width": 360, "height": 740})
    log_in_as(page, live_server, world.coordinator)
    page.goto(f"{live_server.url}/studies/{world.study.pk}/privacy/access-record/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 361, f"the access record is {width}px wide on a 360px screen"
