"""The page form of a converted version: its HTML with a comment control on every block.

Built once when a version is converted and stored, since a version never changes;
requests only add what varies (comments, highlights, forms) around it.

The controls hold no text of their own: their name is an ``aria-label`` and their visible
label comes from CSS (``data-label``). So the text a browser or an annotation tool reads in
the document is the document's text alone, and a quote from a list item or a table cell is
found there once, never again in a control that repeats its first words.
"""

from __future__ import annotations

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
CONTROL_CLASS = "block-comment"
TOOLS_CLASS = "block-tools"


def noun(tag: str) -> str:
    """What a block is called in plain words: paragraph, heading, list item…"""
    if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
        return _("heading")
    return _(_NOUNS.get(tag, "paragraph"))


def preview(text: str, words: int = 6) -> str:
    """The first few words of a block, to say which one is meant."""
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def page_html(rendition: str, blocks: list[Block]) -> str:
    """Add a "Comment on this paragraph" control to every block, reachable by keyboard alone."""
    if not rendition.strip():
        return ""
    root = lxml_html.fragment_fromstring(rendition, create_parent="div")
    # The page's own title is the h1; the document's headings sit one level below it.
    for heading in root.xpath(".//h1|.//h2|.//h3|.//h4|.//h5"):
        heading.tag = f"h{int(heading.tag[1]) + 1}"
    _add_controls(root, blocks)
    return _serialise(root)


def controls_refresh(stored: str, blocks: list[Block]) -> str:
    """A stored page form with its controls made again in the current form."""
    if not stored.strip():
        return ""
    root = lxml_html.fragment_fromstring(stored, create_parent="div")
    for old in root.xpath(f".//*[contains(concat(' ', @class, ' '), ' {TOOLS_CLASS} ')]"):
        old.drop_tree()
    for old in root.xpath(f".//a[contains(concat(' ', @class, ' '), ' {CONTROL_CLASS} ')]"):
        old.drop_tree()
    _add_controls(root, blocks)
    return _serialise(root)


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


def _serialise(root: etree._Element) -> str:
    return (
        "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)
        if len(root)
        else ""
    )
