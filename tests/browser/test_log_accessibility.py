"""Involvement log pages in Chromium: axe-core finds nothing, a phone needs no sideways scroll,
and a log being made shows itself ready without a reload."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from engagement.models import Contribution, Study
from engagement.services import study_create
from portal.accounts.models import User
from portal.home.logs.services import code_new
from portal.home.models import InvolvementLog, LogState
from portal.permissions import Role
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in_as
from tests.conftest import give_totp
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class World:
    study: Study
    coordinator: User
    partner: User
    ready: InvolvementLog
    building: InvolvementLog
    failed: InvolvementLog
    withdrawn: InvolvementLog


def _log(partner: User, study: Study, state: str, **fields: Any) -> InvolvementLog:
    log = InvolvementLog(
        code=code_new(),
        holder=partner,
        holder_name=partner.display_name,
        produced_by=partner,
        produced_by_name=partner.display_name,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 11, 30),
        study_ids=[study.pk],
        study_titles=[study.title],
        state=state,
        entries=12,
        **fields,
    )
    if state == LogState.READY:
        log.digest = "9f" * 32
        log.issued_at = timezone.now()
        log.pages = 3
        log.file.save("log.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    log.save()
    return log


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
    partner = MembershipFactory(
        study=study, role=Role.PARTNER, user__display_name="Pat Partner"
    ).user
    Contribution.objects.create(
        partner=partner,
        study=study,
        stage=study.stages.order_by("position").first(),
        activity_type="meeting",
        activity_date=dt.date(2026, 3, 4),
        minutes=90,
        what_they_did="Steering group meeting",
        state="approved",
    )
    return World(
        study=study,
        coordinator=coordinator,
        partner=partner,
        ready=_log(partner, study, LogState.READY),
        building=_log(partner, study, LogState.BUILDING),
        failed=_log(partner, study, LogState.FAILED, failure="The log took too long to make."),
        withdrawn=_log(partner, study, LogState.READY, withdrawn_at=timezone.now()),
    )


PAGES: list[tuple[str, str | None, Callable[[World], str]]] = [
    ("make a log", "partner", lambda w: "/involvement/log/"),
    ("a ready log", "partner", lambda w: f"/involvement/logs/{w.ready.pk}/"),
    ("a log being made", "partner", lambda w: f"/involvement/logs/{w.building.pk}/"),
    ("a log that failed", "partner", lambda w: f"/involvement/logs/{w.failed.pk}/"),
    ("a withdrawn log", "partner", lambda w: f"/involvement/logs/{w.withdrawn.pk}/"),
    (
        "a coordinator makes a partner's log",
        "coordinator",
        lambda w: f"/studies/{w.study.pk}/involvement/partners/{w.partner.pk}/log/",
    ),
    ("check a log", None, lambda w: "/verify/"),
    ("a genuine log", None, lambda w: f"/verify/{w.ready.code}/"),
    ("a withdrawn log, checked", None, lambda w: f"/verify/{w.withdrawn.code}/"),
    ("a code that is not found", None, lambda w: "/verify/?code=0000-0000-0000-0000-0000"),
]


@pytest.mark.parametrize(
    ("who", "path"), [(who, path) for _, who, path in PAGES], ids=[p[0] for p in PAGES]
)
def test_log_page_has_no_axe_violations(
    live_server: Any, page: Any, world: World, who: str | None, path: Callable[[World], str]
) -> None:
    if who is not None:
        log_in_as(page, live_server, getattr(world, who))
    page.goto(live_server.url + path(world))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)


def test_the_form_with_errors_has_no_axe_violations(
    live_server: Any, page: Any, world: World
) -> None:
    log_in_as(page, live_server, world.partner)
    page.goto(f"{live_server.url}/involvement/log/")
    page.get_by_label("From").fill("2026-05-01")
    page.get_by_label("To").fill("2026-04-01")
    page.get_by_role("button", name="Make the log (PDF)").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("[data-error-summary]")).to_contain_text("on or after")
    assert_accessible(page)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("partner", lambda w: "/involvement/log/"),
        ("partner", lambda w: f"/involvement/logs/{w.ready.pk}/"),
        (None, lambda w: f"/verify/{w.ready.code}/"),
    ],
    ids=["make a log", "a ready log", "a genuine log"],
)
def test_no_horizontal_scroll_on_a_narrow_phone(
    live_server: Any, new_page: Any, world: World, who: str | None, path: Callable[[World], str]
) -> None:
    page = new_page(viewport={"width": 360, "height": 740})
    if who is not None:
        log_in_as(page, live_server, getattr(world, who))
    page.goto(live_server.url + path(world))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360 + 1, f"{path(world)} is {width}px wide on a 360px screen"


def test_a_log_being_made_shows_itself_ready_without_a_reload(
    live_server: Any, page: Any, world: World
) -> None:
    log_in_as(page, live_server, world.partner)
    page.goto(f"{live_server.url}/involvement/logs/{world.building.pk}/")
    expect(page.get_by_text("The log is being made.")).to_be_visible()
    log = world.building
    log.state = LogState.READY
    log.digest = "ab" * 32
    log.issued_at = timezone.now()
    log.pages = 2
    log.file.save("log.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    log.save()
    expect(page.get_by_role("link", name="Download the log (PDF)")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("The log is being made.")).to_have_count(0)
    assert_accessible(page)
