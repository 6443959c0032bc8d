"""The page form of a converted version: its HTML with a comment control on every block.

Built once when a version is converted and stored, since a version never changes;
requests only add what varies (comments, highlights, forms) around it.

The controls hold no text of their own: their name is an ``aria-label`` and their visible
label comes from CSS (``data-label``). So the text a browser or an annotation tool reads in
the document is the document's text alone, and a quote from a list item or a table cell is
found there once, never again in a control that repeats its first words.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree
from lxml import html as lxml_html

from documents.blocks import Block

# Inside these the control must stay within the element (a list item, a table cell);
# after any other block it follows as a sibling, so it is not read as part of a heading.
_INSIDE = {"li", "td", "th"}
_NOUNS = {
    "li": "list item",
    "td": "table cell",
    "th": "table heading",
    "img": "picture",
    "caption": "caption",
    "figcaption": "caption",
}
_HEADINGS = {"h2", "h3", "h4"}
CONTROL_CLASS = "block-comment"
TOOLS_CLASS = "block-tools"


def noun(tag: str) -> str:
    """What a block is called in plain words: paragraph, heading, list item…"""
    if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
        return _("heading")
    return _(_NOUNS.get(tag, "paragraph"))


def preview(text: str, words: int = 6) -> str:
    """The first few words of a block, to say which one is meant."""
    parts = text.split(maxsplit=words)
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def page_html(rendition: str, blocks: list[Block]) -> str:
    """Add a "Comment on this paragraph" control to every block, reachable by keyboard alone."""
    return page_parts(rendition, blocks)[0]


def page_parts(rendition: str, blocks: list[Block]) -> tuple[str, list[dict[str, Any]]]:
    """The page HTML, and the sections a long one is shown in (none for a short one)."""
    if not rendition.strip():
        return "", []
    root = lxml_html.fragment_fromstring(rendition, create_parent="div")
    # The page's own title is the h1; the document's headings sit one level below it.
    for heading in root.xpath(".//h1|.//h2|.//h3|.//h4|.//h5"):
        heading.tag = f"h{int(heading.tag[1]) + 1}"
    _add_controls(root, blocks)
    return _serialise_in_sections(root, blocks)


def controls_refresh(stored: str, blocks: list[Block]) -> tuple[str, list[dict[str, Any]]]:
    """A stored page form with its controls made again in the current form, and its sections."""
    if not stored.strip():
        return "", []
    root = lxml_html.fragment_fromstring(stored, create_parent="div")
    for old in root.xpath(f".//*[contains(concat(' ', @class, ' '), ' {TOOLS_CLASS} ')]"):
        old.drop_tree()
    for old in root.xpath(f".//a[contains(concat(' ', @class, ' '), ' {CONTROL_CLASS} ')]"):
        old.drop_tree()
    _add_controls(root, blocks)
    return _serialise_in_sections(root, blocks)


def _add_controls(root: etree._Element, blocks: list[Block]) -> None:
    texts = {block.id: block.text for block in blocks}
    label = _("Comment")
    for element in root.xpath(".//*[@data-block]"):
        block_id = element.get("data-block")
        words = preview(texts.get(block_id, ""))
        name = _("Comment on this %(noun)s") % {"noun": noun(element.tag)}
        control = etree.Element(
            "a",
            {
                "class": CONTROL_CLASS,
                "href": f"?block={block_id}#comment-form",
                "data-comment-block": block_id,
                "data-label": label,
                "aria-label": f"{name}: {words}" if words else f"{name} {block_id}",
            },
        )
        if element.tag in _INSIDE:
            element.append(control)
        else:
            wrapper = etree.Element("div", {"class": TOOLS_CLASS})
            wrapper.append(control)
            element.addnext(wrapper)


def _serialise_in_sections(
    root: etree._Element, blocks: list[Block]
) -> tuple[str, list[dict[str, Any]]]:
    """The page's HTML and, when it is long, where each section of it starts and ends.

    A section is a run of the page's top-level elements holding about
    ``settings.VERSION_SECTION_BLOCKS`` blocks (a new one starts at a heading once that many
    are gathered, or anywhere at twice as many) and never much more than
    ``settings.VERSION_SECTION_CHARACTERS`` of HTML, so a page shows one section of any
    document, however long. Each section has its first and last block (1-based, in reading
    order), its character offsets in the HTML and a title: its first heading, or its first
    words.
    """
    texts = {block.id: block.text for block in blocks}
    want_blocks = settings.VERSION_SECTION_BLOCKS
    want_chars = settings.VERSION_SECTION_CHARACTERS
    parts: list[str] = []
    sections: list[dict[str, Any]] = []
    length = 0
    last_heading = ""
    current: dict[str, Any] | None = None
    for child in root:
        html = etree.tostring(child, encoding="unicode", method="html")
        ids = [child.get("data-block")] if child.get("data-block") else []
        ids += [e.get("data-block") for e in child.iterfind(".//*[@data-block]")]
        numbers = [int(i[1:]) for i in ids if i and i[1:].isdigit()]
        heading = isinstance(child.tag, str) and child.tag in _HEADINGS
        if current is not None and numbers:
            gathered = current["last"] - current["first"] + 1 if current["last"] else 0
            chars = length - current["start"]
            if (
                (gathered >= want_blocks and heading)
                or gathered >= 2 * want_blocks
                or chars + len(html) > want_chars
            ):
                current["end"] = length
                sections.append(current)
                current = None
        if numbers:
            words = texts.get(ids[0] or "", "")
            if current is None:
                current = {"start": length, "end": 0, "first": 0, "last": 0, "title": ""}
            if not current["first"]:
                # Named by its heading, or as the rest of the part before it.
                title = preview(words, 10)
                if not heading and last_heading:
                    title = _("%(heading)s (continued)") % {"heading": last_heading}
                current["first"], current["title"] = min(numbers), title
            current["last"] = max(current["last"], *numbers)
            if heading:
                last_heading = preview(words, 10)
        elif current is None:
            current = {"start": length, "end": 0, "first": 0, "last": 0, "title": ""}
        parts.append(html)
        length += len(html)
    if current is not None:
        current["end"] = length
        sections.append(current)
    # One section is the whole page: nothing to divide.
    return "".join(parts), sections if len(sections) > 1 else []
