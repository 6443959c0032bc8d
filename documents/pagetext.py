"""The text of a version's page as a browser holds it, and where each block's text lies in it.

Selectors are stored in a block's text with whitespace collapsed (``Block.text``), but an
annotation tool finds a passage in the page's own text: the DOM's ``textContent`` of the
document, where a line break in the HTML is still a line break and a ``<br>`` adds nothing.
This module reads the page HTML the way the browser does, leaving out the page furniture
around the blocks (the "Comment on this paragraph" controls, comment counts, text only a
screen reader hears), and keeps, for every character of every block's collapsed text, the
place it came from, so a stored passage can be turned into the page's own words and offsets.

Pure functions over HTML strings, like ``documents.rendition``, which builds that HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

from documents.conversion.split import BREAKS, HOLDERS, NESTED

# Elements in the document that are not part of its text. They hold either text no one
# wrote into the document (control labels, counts) or none, so a browser-side tool that
# skips them sees exactly the document's words.
FURNITURE_CLASSES = frozenset({"block-comment", "block-tools", "block-count", "visually-hidden"})


@dataclass(frozen=True)
class BlockText:
    """One block within the page text.

    ``start``/``end`` bound the block element's whole text in the page text (a list item's
    nested items included). ``collapsed`` is the block's own text as ``Block.text`` has it,
    and ``origins[i]`` is where ``collapsed[i]`` sits in the page text, or None for a space
    the page does not have (after a ``<br>`` or a paragraph with nothing between).
    """

    start: int
    end: int
    collapsed: str
    origins: tuple[int | None, ...]

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """The page-text span holding ``collapsed[start:end]``; None if none of it is there."""
        inside = [p for p in self.origins[start:end] if p is not None]
        if not inside:
            return None
        return inside[0], inside[-1] + 1


@dataclass(frozen=True)
class PageText:
    text: str
    blocks: Mapping[str, BlockText] = field(default_factory=dict)


def page_text(html: str) -> PageText:
    """Read the page HTML (``Version.html``) as ``textContent`` does, without the furniture."""
    if not html.strip():
        return PageText("")
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    reader = _Reader()
    reader.walk(root, None)
    text = "".join(reader.pieces)
    blocks = {}
    for block_id, (start, end) in reader.bounds.items():
        collapsed, origins = _collapse(reader.own.get(block_id, []))
        blocks[block_id] = BlockText(start, end, collapsed, origins)
    return PageText(text, blocks)


def is_furniture(element: etree._Element) -> bool:
    return not FURNITURE_CLASSES.isdisjoint((element.get("class") or "").split())


class _Reader:
    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.length = 0
        # Per block: its own characters with their place in the page (None: a break's space).
        self.own: dict[str, list[tuple[str, int | None]]] = {}
        self.bounds: dict[str, tuple[int, int]] = {}

    def emit(self, text: str, owner: str | None) -> None:
        if owner is not None:
            self.own.setdefault(owner, []).extend(
                (ch, self.length + i) for i, ch in enumerate(text)
            )
        self.pieces.append(text)
        self.length += len(text)

    def walk(self, element: etree._Element, owner: str | None, owner_tag: str = "") -> None:
        # The same walk as split.plain_text, so a block's collapsed text comes out the same.
        if element.text and isinstance(element.tag, str):
            self.emit(element.text, owner)
        for child in element:
            tag = child.tag
            if isinstance(tag, str) and not is_furniture(child):
                block_id = child.get("data-block")
                child_owner, child_tag = owner, owner_tag
                if block_id:
                    child_owner, child_tag = block_id, tag
                    start = self.length
                elif owner_tag in HOLDERS and tag in NESTED:
                    # A nested list or table is made of blocks of its own.
                    child_owner, child_tag = None, ""
                self.walk(child, child_owner, child_tag)
                if block_id:
                    self.bounds[block_id] = (start, self.length)
                elif owner is not None and child_owner == owner and tag in BREAKS:
                    self.own.setdefault(owner, []).append((" ", None))
            if child.tail:
                self.emit(child.tail, owner)


def _collapse(chars: list[tuple[str, int | None]]) -> tuple[str, tuple[int | None, ...]]:
    """Runs of whitespace become one space, ends trimmed (split.plain_text), keeping origins.

    A collapsed space stands for the first real whitespace character of its run, so a
    passage's page text takes in the whole run (a line break and its indent).
    """
    out: list[str] = []
    origins: list[int | None] = []
    in_space = False
    space_at: int | None = None
    for ch, at in chars:
        if ch.isspace():
            if not in_space:
                in_space, space_at = True, at
            elif space_at is None:
                space_at = at
            continue
        if in_space and out:
            out.append(" ")
            origins.append(space_at)
        in_space, space_at = False, None
        out.append(ch)
        origins.append(at)
    return "".join(out), tuple(origins)


def count_matches(text: str, needle: str) -> int:
    """How many times ``needle`` occurs in ``text``, overlapping occurrences included."""
    if not needle:
        return 0
    count, i = 0, text.find(needle)
    while i != -1:
        count += 1
        i = text.find(needle, i + 1)
    return count
