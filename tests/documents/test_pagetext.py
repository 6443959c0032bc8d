"""The page's text as a browser holds it, where each block lies in it, and settled whitespace."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from documents.blocks import Block
from documents.conversion import convert
from documents.pagetext import PageText, page_text, settle_whitespace
from documents.rendition import page_html
from documents.webannotation import unique_context
from tests.documents.conversion_helpers import MAX, fixture

# A page as page_html builds it today, and what is coming: controls with no text, counts.
PAGE = (
    '<h2 id="b1" data-block="b1">Taking  part</h2>\n'
    '<div class="block-tools"><a class="block-comment" href="?block=b1">Comment on this '
    'heading<span class="visually-hidden">: Taking part</span></a></div>'
    '<p id="b2" data-block="b2">You can stop\nat <mark>any</mark> time.\nLine one<br>\n'
    "line two<br>three</p>\n"
    '<ul>\n<li id="b3" data-block="b3">You can stop\nnow.\n<ul>\n'
    '<li id="b4" data-block="b4">Nested.<a class="block-comment" aria-label="Comment"></a>'
    "</li>\n</ul>\n"
    '<a class="block-comment" href="?block=b3">Comment on this list item'
    '<span class="visually-hidden">: You can stop now.</span></a>'
    '<a class="block-count" aria-label="2 comments"></a></li>\n</ul>\n'
    '<pre id="b5" data-block="b5">keep\n  this</pre>\n'
)
STORED = {
    "b1": "Taking part",
    "b2": "You can stop at any time. Line one line two three",
    "b3": "You can stop now.",
    "b4": "Nested.",
    "b5": "keep this",
}


def own_page_text(page: PageText, block_id: str) -> str:
    """The block's collapsed text spelt from the page's own characters (spaces it lacks: _)."""
    block = page.blocks[block_id]
    return "".join("_" if at is None else page.text[at] for at in block.origins)


def test_it_reads_the_page_as_text_content_does_without_the_furniture() -> None:
    page = page_text(PAGE)
    assert page.text == (
        "Taking  part\nYou can stop\nat any time.\nLine one\nline twothree\n\n"
        "You can stop\nnow.\n\nNested.\n\n\n\nkeep\n  this\n"
    )
    assert {block_id: b.collapsed for block_id, b in page.blocks.items()} == STORED
    b3 = page.blocks["b3"]
    # A list item's element holds its nested items; its own text is only its words.
    assert page.text[b3.start : b3.end] == "You can stop\nnow.\n\nNested.\n\n"


def test_a_stored_passage_becomes_the_pages_own_words() -> None:
    page = page_text(PAGE)
    b2 = page.blocks["b2"]
    start = STORED["b2"].index("stop at any")
    span = b2.span(start, start + len("stop at any time"))
    assert span is not None
    assert page.text[span[0] : span[1]] == "stop\nat any time"
    start = STORED["b2"].index("two three")
    span = b2.span(start, start + len("two three"))
    assert span is not None
    assert page.text[span[0] : span[1]] == "twothree"  # a <br> adds no character


@pytest.mark.parametrize(
    "name",
    [
        "docx/tables.docx",
        "docx/simple-list.docx",
        "docx/footnotes.docx",
        "docx/comments.docx",
        "pdf/two-different-pages.pdf",
        "text/co-production-study-summary.md",
        "hostile/hostile.md",
        "hostile/script-and-javascript-link.docx",
    ],
)
def test_each_blocks_text_in_the_page_is_its_stored_text(name: str) -> None:
    conversion = convert(fixture(name), name.rsplit("/", 1)[-1], max_bytes=MAX)
    html = page_html(conversion.html, conversion.blocks)
    for shown in (html, settle_whitespace(html)):
        page = page_text(shown)
        for block in conversion.blocks:
            if block.kind != "img":  # a picture's text is its alternative, not in the page
                assert page.blocks[block.id].collapsed == block.text, (name, block.id)


def test_settled_whitespace_makes_the_page_say_each_blocks_stored_text() -> None:
    settled = settle_whitespace(PAGE)
    page = page_text(settled)
    for block_id, text in STORED.items():
        if block_id != "b5":
            assert own_page_text(page, block_id) == text, block_id
    # Preformatted text keeps its spacing; the furniture is left as it was.
    assert "<pre" in settled
    assert "keep\n  this" in settled
    assert settled.count('class="block-comment"') == 3
    assert "Comment on this list item" in settled
    # Nothing moves into a link or a highlight that was not in it.
    assert "<mark>any</mark>" in settled
    assert settle_whitespace(settled) == settled


def test_settling_a_converted_document_keeps_its_blocks_and_their_text() -> None:
    data = (
        b"# Title\n\nYou can stop\nat any time.\nLine one  \nline two\n\n"
        b"- one\n- two\n  wrapped\n  - nested\n\n| a | b |\n| - | - |\n| c  d | e |\n"
    )
    conversion = convert(data, "sheet.md", max_bytes=MAX)
    html = page_html(conversion.html, conversion.blocks)
    page = page_text(settle_whitespace(html))
    for block in conversion.blocks:
        assert own_page_text(page, block.id) == block.text
    root = lxml_html.fragment_fromstring(settle_whitespace(html), create_parent="div")
    assert [e.get("id") for e in root.xpath(".//*[@data-block]")] == [
        b.id for b in conversion.blocks
    ]


def test_an_empty_page_has_no_text() -> None:
    assert page_text("") == PageText("")
    assert settle_whitespace("") == ""
    assert page_html("", [Block("b1", "p", "", "")]) == ""


def test_the_context_grows_until_the_passage_is_found_once() -> None:
    repeated = "x" * 40 + "same words here " + "y" * 40 + "same words here " + "x" * 40
    text = repeated + repeated
    start = text.index("same words")
    prefix, suffix = unique_context(text, start, start + len("same words"))
    assert len(prefix) > 32
    assert text.count(prefix + "same words" + suffix) == 1
    prefix, suffix = unique_context("a b a", 0, 1)
    assert (prefix, suffix) == ("", " b a")
