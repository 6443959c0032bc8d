from __future__ import annotations

import random
import time

import pytest

from documents.anchoring import (
    CONTEXT_CHARS,
    Anchor,
    AnchorError,
    anchor_for_quote,
    anchor_from_selection,
    anchor_verify,
    from_selectors,
    match_blocks,
    reanchor,
    reanchor_all,
    to_selectors,
)
from documents.blocks import Block
from documents.diffing import diff_versions


def blocks(*items: tuple[str, str]) -> list[Block]:
    """Blocks numbered in reading order, as the converter numbers them."""
    return [Block(f"b{i}", kind, text, "") for i, (kind, text) in enumerate(items, start=1)]


TITLE = ("h1", "Participant information sheet: Walking Back to Health")
PURPOSE_HEADING = ("h2", "What is the purpose of the study?")
PURPOSE = (
    "p",
    "We want to find out whether a short, guided walking programme helps people living with "
    "long COVID to feel less tired. The study will last 12 weeks and you can stop at any time.",
)
WHY_ME = (
    "p",
    "You have been invited because you have had symptoms of long COVID for more than three "
    "months and you live in Greater Manchester.",
)
TAKE_PART = (
    "p",
    "You do not have to take part. If you decide to take part you can withdraw at any time. "
    "If you withdraw, your care will not be affected.",
)
DATA = (
    "p",
    "We will keep your information safe. Only the research team will see your name. "
    "We will keep your information for five years after the study ends.",
)
CONTACT = ("li", "Call the study team on 0161 555 0100, Monday to Friday, 9am to 5pm.")
ORIGINAL = blocks(TITLE, PURPOSE_HEADING, PURPOSE, WHY_ME, TAKE_PART, DATA, CONTACT)


def block(blocks_: list[Block], text_start: str) -> Block:
    return next(b for b in blocks_ if b.text.startswith(text_start))


# --- building anchors ---------------------------------------------------------------------


def test_selection_takes_quote_and_context_from_the_block_text() -> None:
    purpose = ORIGINAL[2]
    start = purpose.text.index("12 weeks")
    anchor = anchor_from_selection(purpose, start, start + len("12 weeks"))
    assert anchor.block_id == "b3"
    assert anchor.exact == "12 weeks"
    assert anchor.prefix == purpose.text[start - CONTEXT_CHARS : start]
    assert anchor.suffix == " and you can stop at any time."
    assert (anchor.start, anchor.end) == (start, start + 8)


def test_selection_at_the_start_of_a_block_has_a_short_prefix() -> None:
    anchor = anchor_from_selection(ORIGINAL[0], 0, len("Participant"))
    assert anchor.prefix == ""
    assert anchor.exact == "Participant"


def test_selection_drops_surrounding_spaces() -> None:
    purpose = ORIGINAL[2]
    start = purpose.text.index(" guided ")
    anchor = anchor_from_selection(purpose, start, start + len(" guided "))
    assert anchor.exact == "guided"
    assert anchor.start == start + 1


@pytest.mark.parametrize(
    ("start", "end"), [(-1, 5), (5, 5), (10, 5), (0, 10_000), (3, 4.0), (True, 5)]
)
def test_selection_outside_or_empty_is_refused(start: int, end: int) -> None:
    with pytest.raises(AnchorError):
        anchor_from_selection(ORIGINAL[2], start, end)


def test_whitespace_only_selection_is_refused() -> None:
    text = ORIGINAL[2].text
    space = text.index(" ")
    with pytest.raises(AnchorError, match="Nothing is selected"):
        anchor_from_selection(ORIGINAL[2], space, space + 1)


def test_quote_is_found_in_the_block() -> None:
    anchor = anchor_for_quote(ORIGINAL[4], "your care will not be affected")
    assert ORIGINAL[4].text[anchor.start : anchor.end] == "your care will not be affected"


def test_quote_that_is_not_in_the_paragraph_is_refused() -> None:
    with pytest.raises(AnchorError, match="That passage is not in this paragraph"):
        anchor_for_quote(ORIGINAL[4], "you will be paid £25")


def test_repeated_quote_is_told_apart_by_its_context() -> None:
    data = ORIGINAL[5]
    second = data.text.rindex("keep your information")
    anchor = anchor_for_quote(
        data,
        "keep your information",
        prefix="the study ends. We will "[-CONTEXT_CHARS:],
        suffix=" for five years",
    )
    assert anchor.start == second
    first = anchor_for_quote(data, "keep your information", suffix=" safe.")
    assert first.start == data.text.index("keep your information")


def test_verify_accepts_a_correct_anchor_and_refreshes_its_context() -> None:
    data = ORIGINAL[5]
    start = data.text.index("research team")
    sent = Anchor("b6", "research team", prefix="", suffix="", start=start, end=start + 13)
    verified = anchor_verify(data, sent)
    assert verified.exact == "research team"
    assert verified.prefix.endswith("Only the ")


def test_verify_finds_the_quote_when_browser_offsets_drift() -> None:
    # A browser counting UTF-16 units gives different offsets after an emoji.
    data = ORIGINAL[5]
    start = data.text.index("research team")
    sent = Anchor("b6", "research team", suffix=" will see", start=start + 2, end=start + 15)
    assert anchor_verify(data, sent).start == start


def test_verify_refuses_a_quote_from_another_version() -> None:
    sent = Anchor("b6", "for ten years", start=0, end=13)
    with pytest.raises(AnchorError, match="That passage is not in this paragraph"):
        anchor_verify(ORIGINAL[5], sent)


def test_verify_refuses_an_anchor_for_another_block() -> None:
    with pytest.raises(AnchorError):
        anchor_verify(ORIGINAL[5], Anchor("b2"))


def test_anchor_refuses_contradictory_shapes() -> None:
    with pytest.raises(AnchorError):
        Anchor(None, exact="words", start=0, end=5)
    with pytest.raises(AnchorError):
        Anchor("b1", exact="", start=3, end=4)
    with pytest.raises(AnchorError):
        Anchor("b1", exact="words", start=5, end=5)


# --- selectors ----------------------------------------------------------------------------


def test_selectors_round_trip() -> None:
    purpose = ORIGINAL[2]
    start = purpose.text.index("long COVID")
    anchor = anchor_from_selection(purpose, start, start + len("long COVID"))
    selectors = to_selectors(anchor)
    assert selectors == [
        {
            "type": "TextQuoteSelector",
            "exact": "long COVID",
            "prefix": anchor.prefix,
            "suffix": anchor.suffix,
        },
        {"type": "TextPositionSelector", "start": start, "end": start + 10},
    ]
    assert from_selectors("b3", selectors) == anchor


def test_whole_block_and_whole_document_have_no_selectors() -> None:
    assert to_selectors(Anchor("b4")) == []
    assert to_selectors(Anchor()) == []
    assert from_selectors("b4", []) == Anchor("b4")
    assert from_selectors(None, []) == Anchor()


def test_selectors_in_either_order_are_accepted() -> None:
    anchor = anchor_for_quote(ORIGINAL[4], "withdraw at any time")
    assert from_selectors("b5", list(reversed(to_selectors(anchor)))) == anchor


def test_long_context_from_the_browser_is_cut_to_the_usual_length() -> None:
    selectors = [
        {"type": "TextQuoteSelector", "exact": "safe", "prefix": "x" * 500, "suffix": "y" * 500},
        {"type": "TextPositionSelector", "start": 30, "end": 34},
    ]
    anchor = from_selectors("b6", selectors)
    assert len(anchor.prefix) == len(anchor.suffix) == CONTEXT_CHARS


QUOTE = {"type": "TextQuoteSelector", "exact": "safe", "prefix": "", "suffix": ""}
POSITION = {"type": "TextPositionSelector", "start": 30, "end": 34}


@pytest.mark.parametrize(
    ("block_id", "selectors"),
    [
        ("b6", "not a list"),
        ("b6", {"type": "TextQuoteSelector"}),
        ("b6", [QUOTE]),
        ("b6", [POSITION]),
        ("b6", [QUOTE, QUOTE]),
        ("b6", [QUOTE, POSITION, POSITION]),
        ("b6", ["TextQuoteSelector", POSITION]),
        ("b6", [{**QUOTE, "type": "XPathSelector"}, POSITION]),
        ("b6", [{**QUOTE, "refinedBy": {}}, POSITION]),
        ("b6", [{**QUOTE, "exact": 42}, POSITION]),
        ("b6", [{**QUOTE, "exact": ["safe"]}, POSITION]),
        ("b6", [{**QUOTE, "exact": ""}, POSITION]),
        ("b6", [{**QUOTE, "exact": "   "}, POSITION]),
        ("b6", [{**QUOTE, "exact": "x" * 1_000_000}, POSITION]),
        ("b6", [{**QUOTE, "prefix": "x" * 1_000_000}, POSITION]),
        ("b6", [{**QUOTE, "suffix": None}, POSITION]),
        ("b6", [{**QUOTE, "exact": "sa\x00fe"}, POSITION]),
        ("b6", [{**QUOTE, "exact": "sa\ud800fe"}, POSITION]),
        ("b6", [QUOTE, {**POSITION, "start": -1}]),
        ("b6", [QUOTE, {**POSITION, "start": "30"}]),
        ("b6", [QUOTE, {**POSITION, "start": 30.0}]),
        ("b6", [QUOTE, {**POSITION, "start": True}]),
        ("b6", [QUOTE, {**POSITION, "end": 10**30}]),
        ("b6", [QUOTE, {**POSITION, "end": 30}]),
        ("b6", [QUOTE, {"type": "TextPositionSelector", "start": 30}]),
        ("b6", None),
        (None, [QUOTE, POSITION]),
        ("", [QUOTE, POSITION]),
        ("p6", [QUOTE, POSITION]),
        ("b0", []),
        ("b6<script>", []),
        (6, []),
        ("b" + "9" * 1000, []),
    ],
)
def test_hostile_selectors_are_refused(block_id: object, selectors: object) -> None:
    with pytest.raises(AnchorError):
        from_selectors(block_id, selectors)  # type: ignore[arg-type]


# --- re-anchoring -------------------------------------------------------------------------


def quote_anchor(blocks_: list[Block], block_start: str, quote: str) -> Anchor:
    return anchor_for_quote(block(blocks_, block_start), quote)


def test_nothing_changed_keeps_every_anchor_exactly() -> None:
    anchor = quote_anchor(ORIGINAL, "You do not have", "withdraw at any time")
    placement = reanchor(anchor, ORIGINAL, list(ORIGINAL))
    assert placement.method == "exact"
    assert placement.confidence == 1.0
    assert placement.anchor == anchor


def test_inserted_paragraph_shifts_ids_but_not_the_anchor() -> None:
    new = blocks(
        TITLE,
        ("p", "Thank you for reading this information sheet. Please take your time."),
        PURPOSE_HEADING,
        PURPOSE,
        WHY_ME,
        TAKE_PART,
        DATA,
        CONTACT,
    )
    anchor = quote_anchor(ORIGINAL, "You do not have", "your care will not be affected")
    assert anchor.block_id == "b5"
    placement = reanchor(anchor, ORIGINAL, new)
    assert placement.block_id == "b6"
    assert placement.method == "exact"
    assert placement.confidence == 1.0
    assert placement.anchor is not None
    assert placement.anchor.exact == "your care will not be affected"
    assert placement.anchor.start == anchor.start


def test_lightly_edited_sentence_is_placed_fuzzily() -> None:
    edited = (
        "p",
        "You do not have to take part. If you decide to take part you can withdraw at any time. "
        "If you withdraw, your healthcare will not be affected.",
    )
    new = blocks(TITLE, PURPOSE_HEADING, PURPOSE, WHY_ME, edited, DATA, CONTACT)
    anchor = quote_anchor(ORIGINAL, "You do not have", "If you withdraw, your care will not be")
    placement = reanchor(anchor, ORIGINAL, new)
    assert placement.method == "fuzzy"
    assert placement.block_id == "b5"
    assert 0.8 <= placement.confidence < 1
    assert placement.anchor is not None
    assert placement.anchor.exact == "If you withdraw, your healthcare will not be"


def test_edited_number_is_placed_on_the_new_wording() -> None:
    edited = ("p", PURPOSE[1].replace("12 weeks", "eight weeks"))
    new = blocks(TITLE, PURPOSE_HEADING, edited, WHY_ME, TAKE_PART, DATA, CONTACT)
    anchor = quote_anchor(ORIGINAL, "We want", "The study will last 12 weeks")
    placement = reanchor(anchor, ORIGINAL, new)
    assert placement.method == "fuzzy"
    assert placement.anchor is not None
    assert placement.anchor.exact == "The study will last eight weeks"


def test_repeated_quote_follows_its_context() -> None:
    data = ORIGINAL[5]
    second = anchor_for_quote(
        data, "keep your information", prefix="the study ends. We will ", suffix=" for five"
    )
    new = blocks(TITLE, ("p", "Version 2, 1 March 2026"), *[(b.kind, b.text) for b in ORIGINAL[1:]])
    placement = reanchor(second, ORIGINAL, new)
    assert placement.block_id == "b7"
    assert placement.anchor is not None
    assert placement.anchor.start == data.text.rindex("keep your information")
    assert placement.anchor.suffix.startswith(" for five years")


def test_repeated_quote_moved_to_another_block_uses_context() -> None:
    # The quote's own paragraph is gone, and the words appear in two new paragraphs.
    anchor = quote_anchor(ORIGINAL, "We will keep", "Only the research team")
    new = blocks(
        TITLE,
        ("p", "Only the research team will see your answers to the questionnaires."),
        ("p", "Your information is stored securely. Only the research team will see your name."),
    )
    placement = reanchor(anchor, ORIGINAL, new)
    assert placement.method == "exact"
    assert placement.block_id == "b3"
    assert placement.confidence == 0.95


def test_deleted_paragraph_leaves_its_comments_unplaced() -> None:
    new = blocks(TITLE, PURPOSE_HEADING, PURPOSE, TAKE_PART, DATA, CONTACT)
    anchor = quote_anchor(ORIGINAL, "You have been invited", "live in Greater Manchester")
    placement = reanchor(anchor, ORIGINAL, new)
    assert placement.method == "unplaced"
    assert placement.block_id is None
    assert placement.anchor is None
    assert placement.confidence == 0


def test_deleted_paragraph_leaves_whole_block_comments_unplaced() -> None:
    new = blocks(TITLE, PURPOSE_HEADING, PURPOSE, TAKE_PART, DATA, CONTACT)
    assert reanchor(Anchor("b4"), ORIGINAL, new).method == "unplaced"


def test_reordered_blocks_keep_their_comments() -> None:
    new = blocks(TITLE, CONTACT, DATA, TAKE_PART, WHY_ME, PURPOSE_HEADING, PURPOSE)
    anchor = quote_anchor(ORIGINAL, "You have been invited", "Greater Manchester")
    placement = reanchor(anchor, ORIGINAL, new)
    assert placement.block_id == "b5"
    assert placement.method == "exact"
    assert placement.confidence == 1.0
    whole = reanchor(Anchor("b7"), ORIGINAL, new)
    assert (whole.block_id, whole.method, whole.confidence) == ("b2", "exact", 1.0)


def test_whole_block_comment_follows_an_edited_paragraph() -> None:
    edited = ("p", WHY_ME[1].replace("three months", "twelve weeks"))
    new = blocks(TITLE, PURPOSE_HEADING, PURPOSE, edited, TAKE_PART, DATA, CONTACT)
    placement = reanchor(Anchor("b4"), ORIGINAL, new)
    assert placement.block_id == "b4"
    assert placement.anchor == Anchor("b4")
    assert placement.method == "fuzzy"
    assert 0.6 <= placement.confidence < 1


def test_whole_block_comment_on_a_rewritten_paragraph_is_unplaced() -> None:
    rewritten = ("p", "Anyone over 18 who has had long COVID can join.")
    new = blocks(TITLE, PURPOSE_HEADING, PURPOSE, rewritten, TAKE_PART, DATA, CONTACT)
    assert reanchor(Anchor("b4"), ORIGINAL, new).method == "unplaced"


def test_whole_document_comment_stays_whole_document() -> None:
    placement = reanchor(Anchor(), ORIGINAL, blocks(TITLE))
    assert placement == placement.__class__(None, Anchor(), "whole-document", 1.0)


def test_anchor_naming_a_block_the_old_version_lacks_is_unplaced() -> None:
    anchor = Anchor("b99", "no such words here", start=0, end=18)
    assert reanchor(anchor, ORIGINAL, list(ORIGINAL)).method == "unplaced"


def test_short_quote_is_not_placed_approximately() -> None:
    anchor = quote_anchor(ORIGINAL, "Call the", "9am")
    new = blocks(("li", "Call the study team on 0161 555 0100, Monday to Friday, 8am to 6pm."))
    assert reanchor(anchor, ORIGINAL, new).method == "unplaced"


# --- matching blocks ----------------------------------------------------------------------


def test_match_blocks_pairs_unchanged_edited_and_removed_blocks() -> None:
    edited = ("p", DATA[1].replace("five years", "ten years"))
    new = blocks(TITLE, ("p", "New paragraph about travel expenses."), PURPOSE, edited, CONTACT)
    assert match_blocks(ORIGINAL, new) == {
        "b1": "b1",
        "b2": None,
        "b3": "b3",
        "b4": None,
        "b5": None,
        "b6": "b4",
        "b7": "b5",
    }


def test_match_blocks_keeps_identical_repeated_blocks_in_order() -> None:
    old = blocks(("td", "Yes"), ("td", "No"), ("td", "Yes"), ("td", "No"))
    new = blocks(("td", "Yes"), ("td", "No"), ("td", "Maybe"), ("td", "Yes"), ("td", "No"))
    assert match_blocks(old, new) == {"b1": "b1", "b2": "b2", "b3": "b4", "b4": "b5"}


# --- a long document ----------------------------------------------------------------------

WORDS = [
    *("study", "participant", "research", "team", "information", "consent", "withdraw"),
    *("data", "questionnaire", "interview", "walking", "programme", "symptoms", "fatigue"),
    *("appointment", "travel", "expenses", "nurse", "doctor", "hospital", "clinic", "week"),
    *("month", "year", "answers", "privacy", "confidential", "anonymous", "results"),
    *("summary", "feedback", "support", "carer", "family", "partner", "benefit", "risk"),
    *("safety", "contact", "telephone", "email", "letter"),
]


def long_document(rng: random.Random, count: int) -> list[Block]:
    paragraphs = []
    for n in range(count):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."
            for _ in range(rng.randint(2, 5))
        ]
        paragraphs.append(("p", f"Section {n}. " + " ".join(sentences)))
    return blocks(*paragraphs)


def edited_document(rng: random.Random, old: list[Block], edits: int) -> list[Block]:
    items = [(b.kind, b.text) for b in old]
    for n in range(edits):
        i = rng.randrange(len(items))
        if n % 4 == 0:
            del items[i]
        elif n % 4 == 1:
            items.insert(i, ("p", f"New paragraph {n} about support for carers and family."))
        else:
            kind, text = items[i]
            words = text.split(" ")
            w = rng.randrange(2, len(words))
            words[w] = rng.choice(WORDS)
            items[i] = (kind, " ".join(words))
    return blocks(*items)


def test_large_document_diffs_and_reanchors_quickly() -> None:
    rng = random.Random(20260301)
    old = long_document(rng, 400)
    new = edited_document(rng, old, 40)
    anchors = []
    for _ in range(300):
        b = rng.choice(old)
        start = rng.randrange(0, len(b.text) - 40)
        anchors.append(anchor_from_selection(b, start, start + rng.randint(15, 40)))

    began = time.perf_counter()
    changes = diff_versions(old, new)
    placements = reanchor_all(anchors, old, new)
    elapsed = time.perf_counter() - began

    assert elapsed < 2.0, f"took {elapsed:.2f}s"
    assert len(placements) == 300
    assert sum(p.method == "exact" for p in placements) > 250
    assert sum(c.kind != "unchanged" for c in changes) >= 20
    for placement in placements:
        if placement.anchor is not None:
            b = next(x for x in new if x.id == placement.block_id)
            assert b.text[placement.anchor.start : placement.anchor.end] == placement.anchor.exact


def test_split_and_edited_paragraph_is_found_approximately_elsewhere() -> None:
    first, _second = TAKE_PART[1].split(" If you withdraw,")
    new = blocks(
        TITLE,
        PURPOSE_HEADING,
        PURPOSE,
        WHY_ME,
        ("p", first),
        ("p", "If you withdraw, your treatment will not be affected in any way."),
        DATA,
        CONTACT,
    )
    anchor = quote_anchor(ORIGINAL, "You do not have", "your care will not be affected")
    placement = reanchor(anchor, ORIGINAL, new)
    assert placement.method == "fuzzy"
    assert placement.block_id == "b6"
    assert placement.anchor is not None
    assert placement.anchor.exact == "your treatment will not be affected"


def test_similar_words_in_an_unrelated_paragraph_do_not_capture_a_comment() -> None:
    anchor = quote_anchor(ORIGINAL, "You do not have", "your care will not be affected")
    new = blocks(
        TITLE,
        PURPOSE_HEADING,
        PURPOSE,
        ("p", "Parking at the clinic is free; your car will not be clamped."),
    )
    assert reanchor(anchor, ORIGINAL, new).method == "unplaced"
