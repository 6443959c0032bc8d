"""A session that runs out while someone writes: nothing lost, and a warning before it ends."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from documents.models import Comment
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in_as
from tests.browser.documents_data import DocWorld, make_world
from tests.documents.builders import thread
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = "The bus to the clinic only runs twice a day, so the morning visits are hard for me."
BACK_IN_THE_BOX = re.compile(r"You were logged out before your \w+ was sent\. Nothing is lost")


@pytest.fixture
def world() -> DocWorld:
    return make_world()


def the_session_runs_out() -> None:
    Session.objects.all().delete()


def words_saved(form: Any) -> None:
    # As for someone who stopped typing a while ago: their words reached the portal before the
    # session ran out. A save still on its way as Send is pressed is the test further down.
    expect(form.locator("[data-draft-status]")).to_have_text("Saved.", timeout=8000)


def log_in_on_the_form(page: Any, user: Any) -> None:
    expect(page.get_by_role("heading", name=re.compile("Log in", re.I)).first).to_be_visible()
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_a_comment_sent_after_the_session_ran_out_is_sent_after_logging_in(
    page: Any, live_server: Any, world: DocWorld
) -> None:
    log_in_as(page, live_server, world.partner)
    page.goto(live_server.url + world.version_path())
    page.get_by_label("Your comment").fill(WORDS)
    words_saved(page.locator("#comment-form"))
    the_session_runs_out()
    page.get_by_role("button", name="Send comment").click()
    log_in_on_the_form(page, world.partner)

    assert page.url.startswith(live_server.url + world.version_path())
    expect(page.get_by_text(BACK_IN_THE_BOX)).to_be_visible()
    expect(page.get_by_label("Your comment")).to_have_value(WORDS)
    assert not Comment.objects.filter(body=WORDS).exists()
    page.get_by_role("button", name="Send comment").click()
    expect(page.get_by_text("Your comment has been added.")).to_be_visible()
    assert Comment.objects.filter(body=WORDS, author=world.partner).count() == 1


def test_a_reply_sent_after_the_session_ran_out_is_sent_after_logging_in(
    page: Any, live_server: Any, world: DocWorld
) -> None:
    conversation = thread(
        world.version, world.coordinator, body="Is the second visit needed?", review_round=None
    )
    log_in_as(page, live_server, world.partner)
    page.goto(live_server.url + world.version_path())
    card = page.locator(f"#thread-{conversation.pk}")
    card.get_by_role("link", name=re.compile("^Reply")).click()
    card = page.locator(f"#thread-{conversation.pk}")
    card.get_by_role("textbox").fill(WORDS)
    words_saved(card)
    the_session_runs_out()
    card.get_by_role("button", name=re.compile("Send reply")).click()
    log_in_on_the_form(page, world.partner)

    assert page.url.startswith(live_server.url + world.version_path())
    assert page.url.endswith(f"#thread-{conversation.pk}")
    expect(page.get_by_text(BACK_IN_THE_BOX)).to_be_visible()
    card = page.locator(f"#thread-{conversation.pk}")
    expect(card.get_by_role("textbox")).to_have_value(WORDS)
    card.get_by_role("button", name=re.compile("Send reply")).click()
    expect(page.get_by_text("Your reply has been added.")).to_be_visible()
    assert conversation.replies.filter(body=WORDS, author=world.partner).count() == 1


def test_send_pressed_twice_in_the_browser_stores_one_comment(
    page: Any, live_server: Any, world: DocWorld
) -> None:
    log_in_as(page, live_server, world.partner)
    page.goto(live_server.url + world.version_path())
    page.get_by_label("Your comment").fill(WORDS)
    page.get_by_role("button", name="Send comment").dblclick()
    expect(page.get_by_text("Your comment has been added.")).to_be_visible()
    assert Comment.objects.filter(body=WORDS).count() == 1


def session_ends() -> Any:
    return Session.objects.get().expire_date


def test_a_warning_comes_before_the_session_ends_and_stay_logged_in_extends_it(
    page: Any, live_server: Any, world: DocWorld, settings: Any
) -> None:
    # A 16-second session: the warning comes at half of it.
    settings.SESSION_COOKIE_AGE = 16
    log_in_as(page, live_server, world.partner)
    page.goto(live_server.url + world.version_path())
    box = page.get_by_label("Your comment")
    box.fill(WORDS)
    warning = page.get_by_role("alertdialog", name="You will be logged out soon")
    expect(warning).to_be_visible(timeout=15_000)
    stay = warning.get_by_role("button", name="Stay logged in")
    expect(stay).to_be_focused()
    expect(warning).to_contain_text("What you have typed is kept")
    assert_accessible(page)

    before = session_ends()
    stay.click()
    expect(warning).to_be_hidden()
    assert session_ends() > before
    expect(box).to_be_focused()

    # It comes again before the new end, and Escape closes it, back where the person was.
    expect(warning).to_be_visible(timeout=15_000)
    page.keyboard.press("Escape")
    expect(warning).to_be_hidden()
    expect(box).to_be_focused()


def test_no_warning_on_a_page_where_nothing_is_being_filled_in(
    page: Any, live_server: Any, world: DocWorld, settings: Any
) -> None:
    settings.SESSION_COOKIE_AGE = 6
    log_in_as(page, live_server, world.partner)
    page.goto(live_server.url + world.version_path())
    page.wait_for_timeout(4_500)
    expect(page.get_by_role("alertdialog")).to_have_count(0)


@pytest.mark.parametrize("form", ["comment", "reply"])
def test_the_send_button_stays_under_the_finger_when_the_logged_out_message_appears(
    page: Any, live_server: Any, world: DocWorld, form: str
) -> None:
    # Pressing Send takes the focus from the box, which saves the words; with the session over,
    # that save answers "logged out" while the button is still held down. The longer message
    # must not move the button from under the press, or the press is lost.
    log_in_as(page, live_server, world.partner)
    if form == "reply":
        conversation = thread(
            world.version, world.coordinator, body="Any thoughts?", review_round=None
        )
        page.goto(live_server.url + world.version_path() + f"?reply={conversation.pk}#reply-form")
        holder = page.locator(f"#thread-{conversation.pk}")
    else:
        page.goto(live_server.url + world.version_path())
        holder = page.locator("#comment-form")
    holder.get_by_role("textbox").fill(WORDS)
    the_session_runs_out()
    send = holder.get_by_role("button", name=re.compile("^Send"))
    send.scroll_into_view_if_needed()
    box = send.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    expect(holder.locator("[data-draft-status]")).to_contain_text("You have been logged out")
    page.mouse.up()
    log_in_on_the_form(page, world.partner)
    expect(page.get_by_text(BACK_IN_THE_BOX)).to_be_visible()
    expect(holder.get_by_role("textbox")).to_have_value(WORDS)
