"""The page form of a converted version: its HTML with a comment control on every block.

Built once when a version is converted and stored, since a version never changes;
requests only add what varies (comments, forms) around it.
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


def _noun(tag: str) -> str:
    if tag in {"h2", "h3", "h4", "h5", "h6"}:
        return _("heading")
    return _(_NOUNS.get(tag, "paragraph"))


def _preview(text: str, words: int = 6) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def page_html(rendition: str, blocks: list[Block]) -> str:
    """Add a "Comment on this paragraph" link to every block, reachable by keyboard alone."""
    if not rendition.strip():
        return ""
    texts = {block.id: block.text for block in blocks}
    root = lxml_html.fragment_fromstring(rendition, create_parent="div")
    # The page's own title is the h1; the document's headings sit one level below it.
    for heading in root.xpath(".//h1|.//h2|.//h3|.//h4|.//h5"):
        heading.tag = f"h{int(heading.tag[1]) + 1}"
    for element in root.xpath(".//*[@data-block]"):
        block_id = element.get("data-block")
        control = etree.Element(
            "a", {"class": "block-comment", "href": f"?block={block_id}#comment-form"}
        )
        control.set("data-comment-block", block_id)
        control.text = _("Comment on this %(noun)s") % {"noun": _noun(element.tag)}
        hidden = etree.SubElement(control, "span", {"class": "visually-hidden"})
        preview = _preview(texts.get(block_id, ""))
        hidden.text = f": {preview}" if preview else f" {block_id}"
        if element.tag in _INSIDE:
            element.append(control)
        else:
            wrapper = etree.Element("div", {"class": "block-tools"})
            wrapper.append(control)
            element.addnext(wrapper)
    return (
        "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)
        if len(root)
        else ""
    )
