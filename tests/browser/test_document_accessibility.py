"""axe-core finds nothing on the document pages, and the version page fits a small phone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from documents.models import VersionStatus
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in_as
from tests.browser.documents_data import FullWorld, make_full_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world() -> FullWorld:
    w = make_full_world()
    assert w.failed.status == VersionStatus.FAILED
    assert w.preparing.status == VersionStatus.PREPARING
    assert w.second.status == VersionStatus.READY
    return w


def _doc(w: FullWorld) -> str:
    return f"/studies/{w.study.pk}/documents/{w.document.pk}/"


def _version(w: FullWorld, version: Any = None) -> str:
    version = version or w.version
    return f"/studies/{w.study.pk}/documents/{version.document_id}/versions/{version.number}/"


# (label, who is logged in, path)
PAGES: list[tuple[str, str, Callable[[FullWorld], str]]] = [
    ("document list", "coordinator", lambda w: f"/studies/{w.study.pk}/documents/"),
    ("document list, partner", "partner", lambda w: f"/studies/{w.study.pk}/documents/"),
    ("upload form", "coordinator", lambda w: f"/studies/{w.study.pk}/documents/new/"),
    ("new version form", "coordinator", lambda w: _doc(w) + "versions/new/"),
    ("version, partner in an open round", "partner", _version),
    ("version, coordinator with threads and answers", "coordinator", _version),
    ("second version", "partner", lambda w: _version(w, w.second)),
    ("version being prepared", "coordinator", lambda w: _version(w, w.preparing)),
    ("version that failed", "coordinator", lambda w: _version(w, w.failed)),
    ("what changed", "partner", lambda w: _version(w, w.second) + "changes/"),
    ("you said, we did", "coordinator", lambda w: _doc(w) + "you-said-we-did/"),
    ("you said, we did, partner", "partner", lambda w: _doc(w) + "you-said-we-did/"),
    ("respond", "coordinator", lambda w: f"/studies/{w.study.pk}/comments/{w.drafted.pk}/respond/"),
    ("edit", "partner", lambda w: f"/studies/{w.study.pk}/comments/{w.answered.pk}/edit/"),
    ("withdraw", "partner", lambda w: f"/studies/{w.study.pk}/comments/{w.own_reply.pk}/withdraw/"),
    ("reopen", "partner", lambda w: f"/studies/{w.study.pk}/comments/{w.answered.pk}/reopen/"),
    ("round form", "coordinator", lambda w: _version(w) + "rounds/new/"),
    (
        "extend a round",
        "coordinator",
        lambda w: f"/studies/{w.study.pk}/rounds/{w.review_round.pk}/extend/",
    ),
    (
        "finish review",
        "partner",
        lambda w: f"/studies/{w.study.pk}/rounds/{w.review_round.pk}/finish/",
    ),
    (
        "round progress and reminders",
        "coordinator",
        lambda w: f"/studies/{w.study.pk}/rounds/{w.review_round.pk}/",
    ),
    ("what's new, partner with an answer and a review", "partner", lambda w: "/whats-new/"),
]


@pytest.mark.parametrize(("who", "path"), [(p[1], p[2]) for p in PAGES], ids=[p[0] for p in PAGES])
def test_document_page_has_no_axe_violations(
    live_server: Any, page: Any, world: FullWorld, who: str, path: Callable[[FullWorld], str]
) -> None:
    log_in_as(page, live_server, getattr(world, who))
    response = page.goto(live_server.url + path(world))
    assert response is not None
    assert response.status == 200, response.status
    expect(page.locator("main h1").first).to_be_visible()
    assert_accessible(page)


def test_version_page_shows_what_the_coordinator_needs(
    live_server: Any, page: Any, world: FullWorld
) -> None:
    """The axe run above covers these: check they really are on the page it looked at."""
    log_in_as(page, live_server, world.coordinator)
    page.goto(live_server.url + _version(world))
    expect(page.get_by_text("Team draft: partners cannot see this yet")).to_be_visible()
    expect(page.get_by_text("We added the length of each visit.")).to_be_visible()
    expect(page.locator(".replies li")).to_have_count(2)


@pytest.mark.parametrize(
    ("label", "path", "button", "clear"),
    [
        ("upload", lambda w: f"/studies/{w.study.pk}/documents/new/", "Upload", ""),
        ("round", lambda w: _version(w) + "rounds/new/", "Open the review", "deadline"),
    ],
    ids=["upload form with errors", "round form with errors"],
)
def test_form_with_errors_has_no_axe_violations(
    live_server: Any,
    page: Any,
    world: FullWorld,
    label: str,
    path: Callable[[FullWorld], str],
    button: str,
    clear: str,
) -> None:
    log_in_as(page, live_server, world.coordinator)
    page.goto(live_server.url + path(world))
    if clear:
        page.locator(f"[name={clear}]").fill("")
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)


def test_selection_button_and_filled_form_have_no_axe_violations(
    live_server: Any, page: Any, world: FullWorld
) -> None:
    log_in_as(page, live_server, world.partner)
    page.goto(live_server.url + _version(world))
    page.locator("a.block-comment").nth(1).click()
    expect(page.locator("[data-quote-preview]")).to_be_visible()
    page.get_by_label("Your comment").press_sequentially("A comment.")
    expect(page.locator("#comment-draft-status")).to_have_text("Saved.", timeout=8000)
    assert_accessible(page)


@pytest.mark.parametrize("who", ["partner", "coordinator"])
def test_version_page_fits_a_narrow_phone(
    live_server: Any, new_page: Any, world: FullWorld, who: str
) -> None:
    page = new_page(viewport={"width": 360, "height": 740})
    log_in_as(page, live_server, getattr(world, who))
    page.goto(live_server.url + _version(world))
    expect(page.locator("main h1").first).to_be_visible()
    page.locator("a.block-comment").first.click()  # the form filled in, a block marked
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360 + 1, f"the version page is {scroll_width}px wide on a 360px screen"
