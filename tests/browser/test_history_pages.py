"""axe-core finds nothing on the involvement pages and the team's dashboard; they fit a phone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from engagement.models import ContributionState, Study
from engagement.services import study_create
from portal.accounts.models import User
from portal.permissions import Role
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in_as
from tests.conftest import give_totp
from tests.engagement.history_data import contribution, stages_of
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class World:
    study: Study
    coordinator: User
    partner: User


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
    partners = [
        MembershipFactory(study=study, role=Role.PARTNER, user__display_name=name).user
        for name in ("Priya Partner", "Sam Longname-Worthington", "Alex Able")
    ]
    stages = stages_of(study)
    states = [ContributionState.SUBMITTED, ContributionState.APPROVED, ContributionState.PAID]
    for n in range(70):
        contribution(
            study=study,
            partner=partners[n % 3],
            stage=stages[n % 5],
            minutes=30 + 15 * (n % 6),
            on=dt.date(2024, 1, 5) + dt.timedelta(days=11 * n),
            state=states[n % 3],
            entered_by=coordinator if n % 7 == 0 else None,
        )
    return World(study, coordinator, partners[0])


# (label, path)
PAGES: list[tuple[str, Callable[[World], str]]] = [
    ("study involvement", lambda w: f"/studies/{w.study.pk}/involvement/"),
    (
        "study involvement, filtered with an error",
        lambda w: f"/studies/{w.study.pk}/involvement/?date_from=2025-01-01&date_to=2024-01-01",
    ),
    (
        "partner across studies",
        lambda w: f"/studies/{w.study.pk}/involvement/partners/{w.partner.pk}/",
    ),
    ("dashboard with the attention panel", lambda w: "/"),
]


@pytest.mark.parametrize("path", [p[1] for p in PAGES], ids=[p[0] for p in PAGES])
def test_history_page_has_no_axe_violations(
    live_server: Any, page: Any, world: World, path: Callable[[World], str]
) -> None:
    path = path(world)
    log_in_as(page, live_server, world.coordinator)
    response = page.goto(live_server.url + path)
    assert response is not None, path
    assert response.status == 200, path
    expect(page.locator("main h1").first).to_be_visible()
    if "details" in page.content():
        page.locator("details summary").first.click()  # the chart's table, open
    assert_accessible(page)


def test_the_study_page_shows_the_chart_and_its_table(
    live_server: Any, page: Any, world: World
) -> None:
    log_in_as(page, live_server, world.coordinator)
    page.goto(live_server.url + f"/studies/{world.study.pk}/involvement/")
    chart = page.get_by_role("img", name="Involvement by stage over time")
    expect(chart).to_be_visible()
    page.get_by_text("Show the figures in the chart as a table").click()
    expect(page.get_by_role("table", name="Time given each month, by stage")).to_be_visible()
    expect(page.get_by_text("3 stages have no involvement")).to_be_visible()


@pytest.mark.parametrize("path", [p[1] for p in PAGES], ids=[p[0] for p in PAGES])
def test_history_page_fits_a_small_phone(
    live_server: Any, new_page: Any, world: World, path: Callable[[World], str]
) -> None:
    path = path(world)
    page = new_page(viewport={"width": 360, "height": 740})
    log_in_as(page, live_server, world.coordinator)
    page.goto(live_server.url + path)
    expect(page.locator("main h1").first).to_be_visible()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360 + 1, f"{path} is {scroll_width}px wide on a 360px screen"
