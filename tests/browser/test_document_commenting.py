"""Commenting on a document in a real browser: selecting words, the keyboard, and drafts."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from documents.anchoring import anchor_verify, from_selectors
from documents.blocks import Block
from documents.models import Comment, CommentDraft
from documents.services.comments import comment_create
from tests.browser.conftest import log_in_as
from tests.browser.documents_data import SENTENCE, DocWorld, block_with, make_world
from tests.documents.builders import thread as make_thread

pytestmark = pytest.mark.django_db(transaction=True)

SAVED = "Saved."


@pytest.fixture
def world() -> DocWorld:
    return make_world()


def open_version(page: Any, live_server: Any, world: DocWorld, user: Any = None) -> None:
    log_in_as(page, live_server, user or world.partner)
    page.goto(live_server.url + world.version_path())
    expect(page.get_by_role("heading", level=1).first).to_be_visible()


def text_box(page: Any, text: str, block_id: str, scroll: bool = True) -> dict[str, float]:
    """Where ``text`` is drawn inside the block: only to aim the mouse, nothing is selected."""
    return page.evaluate(
        """([text, id, scroll]) => {
            const block = document.getElementById(id);
            if (scroll) block.scrollIntoView({block: 'center', behavior: 'instant'});
            const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(text);
                if (at < 0) continue;
                const first = document.createRange();
                first.setStart(node, at); first.setEnd(node, at + 1);
                const last = document.createRange();
                last.setStart(node, at + text.length - 1); last.setEnd(node, at + text.length);
                const a = first.getBoundingClientRect(), b = last.getBoundingClientRect();
                return {x1: a.left + 1, y1: a.top + a.height / 2,
                        x2: b.right - 1, y2: b.top + b.height / 2};
            }
            return null;
        }""",
        [text, block_id, scroll],
    )


def drag_select(page: Any, box: dict[str, float]) -> None:
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, box["y2"], steps=5)
    page.mouse.move(box["x2"], box["y2"], steps=10)
    page.mouse.up()


def local_drafts(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => Object.fromEntries(Object.keys(localStorage)
              .filter(k => k.startsWith('ppie-draft:'))
              .map(k => [k, JSON.parse(localStorage.getItem(k))]))"""
    )


def tab_until(page: Any, test: str, limit: int = 80) -> None:
    """Press Tab until ``test`` (a JS expression about ``el``) holds for the focused element."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!({test}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {test}")


def test_a_mouse_selection_becomes_a_quoted_comment(
    live_server: Any, page: Any, world: DocWorld
) -> None:
    open_version(page, live_server, world)
    block = block_with(world.version, SENTENCE)
    page.locator(f"#{block['id']}").scroll_into_view_if_needed()

    drag_select(page, text_box(page, SENTENCE, block["id"]))
    button = page.get_by_role("button", name="Comment on the selected words")
    expect(button).to_be_visible()
    # It sits just after the paragraph's own controls, so the keyboard reaches it next.
    assert page.evaluate(
        """(id) => {
            const b = document.querySelector('.selection-comment');
            const tools = document.getElementById(id).nextElementSibling;
            return tools.classList.contains('block-tools') && tools.contains(b);
        }""",
        block["id"],
    )
    button.click()

    preview = page.locator("[data-quote-preview]")
    expect(preview).to_have_text(SENTENCE)
    textarea = page.get_by_label("Your comment")
    expect(textarea).to_be_focused()
    expect(page.locator("[data-comment-announce]")).to_contain_text("selected words")
    assert page.locator("[data-field=quote]").input_value() == SENTENCE
    assert re.search(r"[?&]block=" + block["id"] + r"\b", page.url)

    page.keyboard.type("Could you say how long each visit takes?")
    expect(page.locator("[data-draft-status]")).to_have_text(SAVED, timeout=8000)
    (kept,) = local_drafts(page).values()
    assert kept["quote"] == SENTENCE
    assert kept["block"] == block["id"]
    page.get_by_role("button", name="Send comment").click()

    thread = page.locator("article.thread").filter(has_text="how long each visit takes")
    expect(thread).to_be_visible()
    expect(thread.locator("q")).to_have_text(SENTENCE)

    comment = Comment.objects.get(body="Could you say how long each visit takes?")
    assert comment.author == world.partner
    assert comment.block_id == block["id"]
    assert comment.quote == SENTENCE
    stored = Block.from_dict(block)
    anchor = from_selectors(comment.block_id, comment.selectors)
    assert anchor_verify(stored, anchor) == anchor
    position = next(s for s in comment.selectors if s["type"] == "TextPositionSelector")
    assert stored.text[position["start"] : position["end"]] == SENTENCE
    quote = next(s for s in comment.selectors if s["type"] == "TextQuoteSelector")
    assert quote["prefix"] == stored.text[max(0, position["start"] - 32) : position["start"]]
    assert quote["suffix"] == stored.text[position["end"] : position["end"] + 32]
    assert not CommentDraft.objects.filter(author=world.partner).exists()

    # The copy on this device goes once the page shows the comment was sent.
    page.reload()
    expect(page.locator("article.thread")).to_have_count(1)
    assert local_drafts(page) == {}
    expect(page.get_by_label("Your comment")).to_have_value("")


def test_selectors_sent_by_the_browser_match_the_servers_text(
    live_server: Any, page: Any, world: DocWorld
) -> None:
    """Every block's text, as the script counts it, is the text the server stored."""
    open_version(page, live_server, world)
    drag_select(page, text_box(page, "physiotherapist", block_with(world.version, "physio")["id"]))
    expect(page.get_by_role("button", name="Comment on the selected words")).to_be_visible()
    for block in world.version.blocks:
        page.evaluate(
            """(id) => {
                const el = document.getElementById(id);
                const range = document.createRange();
                range.selectNodeContents(el);
                const selection = getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
            }""",
            block["id"],
        )
        page.get_by_role("button", name="Comment on the selected words").click()
        selectors = json.loads(page.locator("[data-field=selectors]").input_value())
        assert page.locator("[data-field=block]").input_value() == block["id"]
        assert selectors[0]["exact"] == block["text"], block
        assert selectors[1] == {
            "type": "TextPositionSelector",
            "start": 0,
            "end": len(block["text"]),
        }


def test_a_selection_over_two_paragraphs_is_clipped_to_the_first(
    live_server: Any, page: Any, world: DocWorld
) -> None:
    open_version(page, live_server, world)
    first = block_with(world.version, SENTENCE)
    second = block_with(world.version, "What will happen")
    start = text_box(page, "You can stop", first["id"])
    end = text_box(page, "What will", second["id"], scroll=False)
    drag_select(page, {"x1": start["x1"], "y1": start["y1"], "x2": end["x2"], "y2": end["y2"]})
    page.get_by_role("button", name="Comment on the selected words").click()

    expect(page.locator("[data-quote-preview]")).to_have_text(
        "You can stop at any time without giving a reason."
    )
    expect(page.locator("[data-quote-note]")).to_contain_text("Only the words in this paragraph")
    assert page.locator("[data-field=block]").input_value() == first["id"]


def test_b_keyboard_only_comment_on_a_paragraph(
    live_server: Any, page: Any, world: DocWorld
) -> None:
    open_version(page, live_server, world)
    block = block_with(world.version, "physiotherapist")
    url_before = page.url

    tab_until(page, f"el.matches('a.block-comment[data-comment-block=\"{block['id']}\"]')")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your comment")).to_be_focused()
    assert page.url.split("?")[0] == url_before.split("?")[0]  # no page load, same page
    expect(page.locator("[data-quote-preview]")).to_have_text(block["text"])
    assert page.locator("[data-field=block]").input_value() == block["id"]

    page.keyboard.type("Will the physiotherapist be the same person each time?")
    tab_until(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Send comment'")
    page.keyboard.press("Enter")

    thread = page.locator("article.thread").filter(has_text="same person each time")
    expect(thread).to_be_visible()
    expect(thread).to_contain_text("On the paragraph:")
    comment = Comment.objects.get(author=world.partner)
    assert comment.block_id == block["id"]
    assert comment.selectors == []
    assert comment.quote == ""


def test_b_without_javascript_the_paragraph_link_still_works(
    live_server: Any, new_page: Any, world: DocWorld
) -> None:
    page = new_page(java_script_enabled=False)
    open_version(page, live_server, world)
    block = block_with(world.version, "physiotherapist")
    page.locator(f"a.block-comment[data-comment-block='{block['id']}']").click()
    assert f"block={block['id']}" in page.url
    page.get_by_label("Your comment").fill("Without scripts.")
    page.get_by_role("button", name="Send comment").click()
    expect(page.locator("article.thread").filter(has_text="Without scripts.")).to_be_visible()
    assert Comment.objects.get(author=world.partner).block_id == block["id"]


def test_c_a_draft_saved_to_the_server_survives_a_closed_browser(
    live_server: Any, new_page: Any, world: DocWorld
) -> None:
    page = new_page()
    open_version(page, live_server, world)
    page.get_by_label("Your comment").fill("")
    page.get_by_label("Your comment").press_sequentially("I am not sure what counts as a visit.")
    expect(page.locator("[data-draft-status]")).to_have_text(SAVED, timeout=8000)
    page.context.close()

    assert CommentDraft.objects.get(author=world.partner).body == (
        "I am not sure what counts as a visit."
    )
    other = new_page()  # another browser: nothing on this device, only the server's copy
    open_version(other, live_server, world)
    expect(other.get_by_label("Your comment")).to_have_value(
        "I am not sure what counts as a visit."
    )
    expect(other.locator("[data-draft-status]")).to_contain_text("back in the box")


def test_c_a_draft_the_server_never_got_comes_back_from_this_device(
    live_server: Any, page: Any, world: DocWorld
) -> None:
    open_version(page, live_server, world)
    # The connection drops, so no draft save arrives, not even the last one as the page closes.
    page.context.set_offline(True)
    block = block_with(world.version, "physiotherapist")
    page.locator(f"a.block-comment[data-comment-block='{block['id']}']").click()
    page.keyboard.type("Typed while the connection was down.")
    expect(page.locator("[data-draft-status]")).to_contain_text("we will keep trying", timeout=8000)
    # Nor may the last save, sent as the page closes: offline emulation ends with the page, so
    # Chromium could still deliver that one. The page's own ways of sending are cut as well.
    page.evaluate(
        """() => {
          navigator.sendBeacon = () => false;
          window.fetch = () => {
            const refused = Promise.reject(new TypeError("Failed to fetch"));
            refused.catch(() => {});
            return refused;
          };
        }"""
    )
    page.close()
    page.context.set_offline(False)
    # For this test the portal must never have had the words.
    CommentDraft.objects.all().delete()

    again = page.context.new_page()
    again.goto(live_server.url + world.version_path())
    expect(again.get_by_label("Your comment")).to_have_value("Typed while the connection was down.")
    expect(again.locator("[data-draft-status]")).to_contain_text(
        "We brought back the words you typed on this device"
    )
    # The paragraph it was about comes back with it.
    assert again.locator("[data-field=block]").input_value() == block["id"]
    expect(again.locator("[data-quote-preview]")).to_have_text(block["text"])
    # Now the connection is back, the portal gets them too.
    expect(again.locator("[data-draft-status]")).to_contain_text("They are saved now")
    draft = CommentDraft.objects.get(author=world.partner)
    assert (draft.body, draft.block_id) == ("Typed while the connection was down.", block["id"])


def test_c_after_a_session_timeout_the_words_stay_on_the_device(
    live_server: Any, page: Any, world: DocWorld
) -> None:
    open_version(page, live_server, world)
    page.context.clear_cookies()  # the session has timed out
    page.get_by_label("Your comment").press_sequentially("Written after my session ended.")
    status = page.locator("[data-draft-status]")
    expect(status).to_contain_text("You have been logged out", timeout=8000)
    expect(status).to_contain_text("kept on this device")
    expect(status.get_by_role("link", name="Log in again")).to_have_attribute(
        "href", re.compile(r"^/accounts/login/\?next=")
    )

    log_in_as(page, live_server, world.partner)
    page.goto(live_server.url + world.version_path())
    expect(page.get_by_label("Your comment")).to_have_value("Written after my session ended.")
    # Back in, the restored words are saved to the portal too.
    expect(page.locator("[data-draft-status]")).to_contain_text("They are saved now", timeout=8000)
    assert CommentDraft.objects.get(author=world.partner).body == (
        "Written after my session ended."
    )


def test_d_a_reply_being_typed_survives_a_reload(
    live_server: Any, page: Any, world: DocWorld
) -> None:
    thread = comment_create(
        version=world.version,
        author=world.coordinator,
        body="Is the exercise plan clear enough?",
        block_id="",
        selectors=[],
        visibility="members",
        is_team=True,
    )
    open_version(page, live_server, world)
    page.locator(f"#thread-{thread.pk}").get_by_role("link", name=re.compile("^Reply")).click()
    box = page.get_by_label("Your reply")
    expect(box).to_be_focused()
    box.press_sequentially("Mostly, but the timings confuse me.")
    status = page.locator(f"#thread-{thread.pk} [data-draft-status]")
    expect(status).to_have_text(SAVED, timeout=8000)

    page.reload()
    expect(page.get_by_label("Your reply")).to_be_visible()  # the form opens by itself
    expect(page.get_by_label("Your reply")).to_have_value("Mostly, but the timings confuse me.")
    draft = CommentDraft.objects.get(author=world.partner)
    assert draft.key == f"reply-{thread.pk}"

    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".replies")).to_contain_text("the timings confuse me")
    assert not CommentDraft.objects.filter(author=world.partner).exists()
    page.reload()
    assert local_drafts(page) == {}


def test_logging_out_clears_unsent_words_from_this_device(page, live_server, world):
    open_version(page, live_server, world)
    page.get_by_label("Your comment").fill("My private health details")
    assert local_drafts(page), "the words were not kept on the device while typing"

    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()

    assert local_drafts(page) == {}


@pytest.mark.parametrize("what", ["comment", "reply"])
def test_on_a_phone_the_message_after_sending_is_at_the_conversation(
    new_page: Any, live_server: Any, world: DocWorld, what: str
) -> None:
    # The page opens at the conversation, far below the top of the page on a phone.
    page = new_page(viewport={"width": 360, "height": 740}, reduced_motion="reduce")
    log_in_as(page, live_server, world.partner)
    if what == "reply":
        question = make_thread(
            world.version, world.coordinator, body="Is the second visit needed?", review_round=None
        )
        page.goto(live_server.url + world.version_path() + f"?reply={question.pk}#reply-form")
        page.locator("#reply-form textarea").fill("Yes, to check how the exercises are going.")
        page.get_by_role("button", name="Send reply").click()
        said = "Your reply has been added."
    else:
        page.goto(live_server.url + world.version_path())
        page.get_by_label("Your comment").fill("The visits could be on the same day.")
        page.get_by_role("button", name="Send comment").click()
        said = "Your comment has been added."
    expect(page.get_by_text(said)).to_be_visible()
    sent = Comment.objects.latest("pk")
    conversation = page.locator(f"#thread-{sent.parent_id or sent.pk}")
    message = conversation.get_by_role("status").filter(has_text=said)
    expect(message).to_be_in_viewport()
    expect(page.locator(".messages")).to_be_focused()
    assert page.get_by_text(said).count() == 1


def test_on_a_phone_a_refused_comment_says_why_beside_the_box(
    new_page: Any, live_server: Any, world: DocWorld
) -> None:
    page = new_page(viewport={"width": 360, "height": 740}, reduced_motion="reduce")
    log_in_as(page, live_server, world.partner)
    page.goto(live_server.url + world.version_path())
    page.get_by_role("button", name="Send comment").click()
    refusal = page.locator("#comment-form").get_by_role("alert")
    expect(refusal).to_have_text("Write your comment before sending it.")
    expect(refusal).to_be_in_viewport()
    expect(page.locator(".messages")).to_be_focused()
    # The box is on the screen with it.
    expect(page.get_by_label("Your comment")).to_be_in_viewport()
    assert not Comment.objects.exists()


def test_words_past_the_limit_of_the_box_are_not_dropped_without_a_word(
    page: Any, live_server: Any, world: DocWorld
) -> None:
    open_version(page, live_server, world)
    box = page.get_by_label("Your comment")
    box.focus()
    page.keyboard.insert_text("A long story. " * 900)  # 12,600 characters, pasted at once
    note = page.locator("#comment-form [data-limit-note]")
    expect(note).to_have_text(
        "This box is full: it holds 10,000 characters, and anything more was not added. "
        "Send this, then add the rest in a reply."
    )
    assert box.input_value() == ("A long story. " * 900)[:10_000]
    # A screen reader hears it with the box.
    assert "id_body-limit" in (box.get_attribute("aria-describedby") or "").split()
    # A full box that comes back (the draft on the portal) says so at once.
    expect(page.locator("#comment-draft-status")).to_have_text(SAVED, timeout=8000)
    page.reload()
    expect(note).to_be_visible()
    # Room again: the note goes.
    box.focus()
    page.keyboard.press("End")
    page.keyboard.press("Backspace")
    expect(note).to_be_hidden()


def test_choosing_a_paragraph_with_nothing_typed_does_not_say_saved(
    page: Any, live_server: Any, world: DocWorld
) -> None:
    open_version(page, live_server, world)
    block = block_with(world.version, "physiotherapist")
    with page.expect_response(lambda answer: answer.url.endswith("/draft/")) as saving:
        page.locator(f"a.block-comment[data-comment-block='{block['id']}']").click()
    assert saving.value.ok
    status = page.locator("#comment-draft-status")
    expect(status).to_have_text("What you type is saved as you go.")
    page.get_by_label("Your comment").fill("The first visit is long.")
    expect(status).to_have_text(SAVED, timeout=8000)
