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
from html import escape

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
            block_id = child.get("data-block")
            if not isinstance(tag, str) or is_furniture(child):
                pass
            elif block_id:
                start = self.length
                self.walk(child, block_id, tag)
                self.bounds[block_id] = (start, self.length)
            elif _splits_off(owner_tag, tag):
                self.walk(child, None)
            else:
                self.walk(child, owner, owner_tag)
                if owner is not None and tag in BREAKS:
                    self.own.setdefault(owner, []).append((" ", None))
            if child.tail:
                self.emit(child.tail, owner)


def _splits_off(owner_tag: str, tag: str) -> bool:
    """A list or table inside a list item or table cell is made of blocks of its own."""
    return owner_tag in HOLDERS and tag in NESTED


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


def settle_whitespace(html: str) -> str:
    """The page HTML with each block's own whitespace as its stored text has it.

    Inside a block every run of whitespace becomes one space, kept where the run began;
    none is left at the block's start or end; and a space follows a line break or an inner
    paragraph that had none after it. The page then looks the same, and its text
    (``textContent``, as annotation tools read it, and ``innerText`` alike within a line)
    holds each block's words exactly as ``Block.text`` does, so a quoted passage reads the
    same in the page, the database and an export. Preformatted blocks keep their spacing.
    For ``documents.rendition.page_html`` to apply to the HTML it builds.
    """
    if not html.strip():
        return html
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    for block in root.xpath(".//*[@data-block]"):
        if block.tag != "pre" and not block.xpath("ancestor::pre"):
            _settle(block)
    return escape(root.text or "", quote=False) + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in root
    )


_BREAK = -1  # the slot of the space a line break or an inner paragraph stands for


def _settle(block: etree._Element) -> None:
    slots: list[tuple[etree._Element, str]] = []  # (element, "text" or "tail")
    chars: list[tuple[str, int]] = []  # (character, the slot it is in)

    def take(element: etree._Element, attribute: str) -> None:
        value = getattr(element, attribute)
        if value:
            chars.extend((ch, len(slots)) for ch in value)
            slots.append((element, attribute))

    def read(element: etree._Element) -> None:
        if isinstance(element.tag, str):
            take(element, "text")
        for child in element:
            tag = child.tag
            if (
                isinstance(tag, str)
                and tag != "pre"
                and not is_furniture(child)
                and not child.get("data-block")
                and not _splits_off(str(block.tag), tag)
            ):
                read(child)
                if tag in BREAKS:
                    chars.append((" ", _BREAK))
            take(child, "tail")

    read(block)
    settled: list[list[str]] = [[] for _ in slots]
    started = pending = False
    pending_slot = _BREAK
    for ch, slot in chars:
        if ch.isspace():
            if started and not pending:
                pending, pending_slot = True, slot
            elif pending and pending_slot == _BREAK:
                pending_slot = slot  # where the page already had whitespace, rather than none
            continue
        if pending:
            settled[slot if pending_slot == _BREAK else pending_slot].append(" ")
            pending = False
        started = True
        settled[slot].append(ch)
    for (element, attribute), text in zip(slots, settled, strict=True):
        setattr(element, attribute, "".join(text) or None)
