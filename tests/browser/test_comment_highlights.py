"""Where the comments are, in a real browser: marked passages, counts, and following a
comment to its passage, by mouse and by keyboard, at phone and laptop widths."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from documents.anchoring import anchor_for_quote, to_selectors
from documents.models import Comment
from documents.services.versions import version_blocks
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in_as
from tests.browser.documents_data import SENTENCE, DocWorld, make_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world() -> DocWorld:
    return make_world()


def comment_on(world: DocWorld, exact: str, body: str) -> Comment:
    block = next(b for b in version_blocks(world.version) if exact in b.text)
    anchor = anchor_for_quote(block, exact)
    return Comment.objects.create(
        version=world.version,
        author=world.coordinator,
        body=body,
        block_id=block.id,
        selectors=to_selectors(anchor),
        quote=exact,
    )


@pytest.mark.parametrize("width", [1280, 360])
def test_following_a_comment_to_its_passage_shows_it_marked(
    page: Any, live_server: Any, world: DocWorld, width: int
) -> None:
    comment = comment_on(world, "three short visits", "Is three enough?")
    comment_on(world, "physiotherapist", "Who is it?")
    page.set_viewport_size({"width": width, "height": 800})
    log_in_as(page, live_server, world.partner)
    page.goto(live_server.url + world.version_path())

    mark = page.locator(f"#passage-{comment.pk}")
    expect(mark).to_have_text("three short visits")
    # Not by colour alone: an underline, and words a screen reader hears at its edges.
    style = mark.evaluate(
        "m => [getComputedStyle(m).textDecorationLine,"
        " getComputedStyle(m, '::before').content, getComputedStyle(m, '::after').content]"
    )
    assert style[0] == "underline"
    assert "commented passage" in style[1]
    assert "end of commented passage" in style[2]
    # The block says how many comments it has, and the count is a link to them.
    count = page.locator("a.block-count").first
    expect(count).to_have_attribute("data-label", "1 comment")

    thread = page.locator(f"#thread-{comment.pk}")
    thread.get_by_role("link", name="On the passage:").click()
    assert page.evaluate("document.querySelector(':target').id") == f"passage-{comment.pk}"
    expect(mark).to_have_class(re.compile("is-current"))
    expect(mark).to_be_in_viewport()
    assert_accessible(page)


def test_the_quiet_comment_control_is_reached_and_named_by_keyboard(
    page: Any, live_server: Any, world: DocWorld
) -> None:
    log_in_as(page, live_server, world.partner)
    page.goto(live_server.url + world.version_path())
    control = page.get_by_role("link", name=re.compile("^Comment on this paragraph: We are asking"))
    expect(control).to_have_count(1)
    control.focus()
    expect(control).to_be_focused()
    # Its visible label is the first word of its name, so speech control finds it.
    label = control.evaluate("a => getComputedStyle(a, '::before').content")
    assert "Comment" in label
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your comment")).to_be_focused()
    # The document's text holds no words of the controls.
    text = page.locator("[data-document]").evaluate("d => d.textContent")
    assert "Comment on this" not in text
    assert text.count(SENTENCE) == 1
