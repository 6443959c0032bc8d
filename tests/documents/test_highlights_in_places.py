"""Marking a page in place (only the commented blocks parsed, count links spliced in) gives
the very page that marking a parse of the whole page gives, on real documents."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from documents.conversion import convert
from documents.conversion.split import split_blocks
from documents.highlights import Passage, _mark, _Marker
from documents.rendition import page_html, page_parts

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DOCUMENTS = [
    "docx/tables.docx",
    "docx/simple-list.docx",
    "docx/footnotes.docx",
    "docx/footnote-hyperlink.docx",
    "docx/comments.docx",
    "docx/underline.docx",
    "docx/strikethrough.docx",
    "docx/text-box.docx",
    "text/co-production-study-summary.md",
]
# Block names as a count's label says them: quotes of each kind, markup-like text, accents.
FIRST_WORDS = ["Before you", 'a "quoted" one', 'it\'s "both" & <b>odd</b>', "café\u00a0au lait"]


def markers(blocks: list, rng: random.Random) -> tuple[dict, dict, dict]:
    by_block: dict[str, list[Passage]] = {}
    for thread_id in range(1, rng.randint(1, 3 * len(blocks)) + 1):
        block = rng.choice(blocks)
        if len(block.text) > 1:
            start = rng.randrange(0, len(block.text) - 1)
            end = rng.randint(start + 1, len(block.text))
            by_block.setdefault(block.id, []).append(Passage(thread_id, block.id, start, end))
    counts = {b.id: rng.randint(1, 12) for b in rng.sample(blocks, rng.randint(0, len(blocks)))}
    words = {block_id: rng.choice(FIRST_WORDS) for block_id in counts}
    return by_block, counts, words


@pytest.mark.parametrize("name", DOCUMENTS)
def test_marking_in_place_gives_the_page_a_whole_parse_gives(name: str) -> None:
    path = FIXTURES / name
    conversion = convert(path.read_bytes(), path.name, max_bytes=10 * 1024 * 1024)
    html, _sections = page_parts(conversion.html, conversion.blocks)
    assert conversion.blocks
    rng = random.Random(name)
    for _trial in range(25):
        by_block, counts, words = markers(conversion.blocks, rng)
        in_place = _Marker(by_block, counts, words).in_places(html)
        assert in_place is not None
        assert in_place == _Marker(by_block, counts, words).whole(html)


def test_a_block_inside_a_marked_block_is_marked_with_it() -> None:
    rendition, blocks = split_blocks(
        "<ul><li>Outer item<ul><li>Inner one</li><li>Inner two</li></ul></li></ul>"
        "<table><tr><td>Cell with<ul><li>a list</li></ul></td></tr></table><p>After.</p>"
    )
    html = page_html(rendition, blocks)
    every = {b.id: [Passage(n, b.id, 0, len(b.text))] for n, b in enumerate(blocks, 1)}
    counts = {b.id: 2 for b in blocks}
    in_place = _Marker(every, counts, {}).in_places(html)
    assert in_place == _Marker(every, counts, {}).whole(html)
    assert in_place is not None
    assert in_place.count('class="block-count"') == len(blocks)


def test_a_page_it_cannot_read_safely_is_marked_whole() -> None:
    blocks = split_blocks("<p>One</p><p>Two</p>")[1]
    html = page_html("<!-- a comment --><p id='b1' data-block='b1'>One</p>", blocks[:1])
    marker = _Marker({"b1": [Passage(1, "b1", 0, 3)]}, {"b1": 1}, {})
    assert marker.in_places(html) is None
    assert '<mark class="passage"' in marker.whole(html)


def test_a_page_whose_blocks_are_not_numbered_in_reading_order_is_marked_whole() -> None:
    rendition, blocks = split_blocks("<p>First one.</p><p>Second one.</p><p>Third one.</p>")
    html = page_html(rendition, blocks)
    # Blocks b1 and b3 swap names: reading order is b3, b2, b1.
    html = html.replace('"b1"', '"tmp"').replace('"b3"', '"b1"').replace('"tmp"', '"b3"')
    html = html.replace("block=b1#", "block=tmp#").replace("block=b3#", "block=b1#")
    html = html.replace("block=tmp#", "block=b3#")
    by_block = {"b1": [Passage(1, "b1", 0, 5)], "b3": [Passage(2, "b3", 6, 9)]}
    counts = {"b1": 1, "b2": 2, "b3": 3}
    assert _Marker(by_block, counts, {}).in_places(html) is None
    marked = _mark(html, [p for ps in by_block.values() for p in ps], counts)
    assert marked == _Marker(by_block, counts, {}).whole(html)
    assert marked.index('data-threads="2"') < marked.index('data-threads="1"')


@pytest.mark.parametrize(
    "source",
    [
        # lxml writes an empty list item without its end tag.
        "<table><tr><td>Cell <b>text</b><ul><li>point</li><li></li><li></li></ul></td></tr>"
        "</table><p>After</p>",
        "<ul><li>Outer <b>x</b><ul><li>in</li><li></li></ul></li></ul><p>After.</p>",
        "<ul><li>Outer <b>x</b><ul><li>in</li><li></li><li></li></ul></li><li>Next</li></ul>",
        # The words a block's tag or its control are found by, in the document's own text.
        '<p>See data-block="b3" here and id="b3" data-block="b3"</p><p>Two</p><p>Three</p>',
        '<p>See data-comment-block="b3" here</p><p>Two</p><p>Three <em>three</em></p>',
    ],
)
def test_a_page_that_would_mislead_marking_in_place_is_marked_as_a_whole_parse_marks_it(
    source: str,
) -> None:
    rendition, blocks = split_blocks(source)
    html = page_html(rendition, blocks)
    for block in blocks:
        if len(block.text) < 2:
            continue
        by_block = {block.id: [Passage(1, block.id, 0, len(block.text) - 1)]}
        counts = {b.id: 1 for b in blocks}
        whole = _Marker(by_block, counts, {}).whole(html)
        assert _mark(html, by_block[block.id], counts) == whole
        in_place = _Marker(by_block, counts, {}).in_places(html)
        assert in_place in (None, whole)
