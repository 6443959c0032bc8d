"""The browser's Back button shows pages as they are now, and nothing private after logging out."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from documents.models import Comment
from portal.accounts.models import Profile
from tests.browser.conftest import log_in_as
from tests.browser.documents_data import DocWorld, make_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world() -> DocWorld:
    return make_world()


def test_back_after_sending_a_comment_shows_it_sent_and_an_empty_box(
    page: Any, live_server: Any, world: DocWorld
) -> None:
    log_in_as(page, live_server, world.partner)
    page.goto(live_server.url + world.version_path())
    page.get_by_label("Your comment").fill("Could the visits be in the afternoon?")
    page.get_by_role("button", name="Send comment").click()
    expect(page.get_by_text("Your comment has been added.")).to_be_visible()
    sent = Comment.objects.get(body="Could the visits be in the afternoon?")

    page.go_back()
    expect(page.get_by_label("Your comment")).to_be_visible()
    # The page as it is now: the comment is among the comments, the box is ready for another.
    expect(page.locator(f"#thread-{sent.pk}")).to_contain_text("in the afternoon?")
    expect(page.get_by_label("Your comment")).to_have_value("")


def test_back_after_logging_out_does_not_show_private_pages(
    page: Any, live_server: Any, world: DocWorld
) -> None:
    Profile.objects.filter(user=world.partner).update(
        accessibility_needs="I use a screen magnifier and need large print."
    )
    log_in_as(page, live_server, world.partner)
    page.goto(live_server.url + "/profile/")
    expect(page.get_by_text("screen magnifier").first).to_be_visible()
    page.goto(live_server.url + world.version_path())
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()

    page.go_back()
    page.wait_for_load_state()
    assert "/accounts/login/" in page.url
    page.go_back()
    page.wait_for_load_state()
    assert "/accounts/login/" in page.url
    expect(page.get_by_text("screen magnifier")).to_have_count(0)
