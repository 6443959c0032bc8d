"""Split sanitised HTML into addressable blocks, with lxml.html.

Blocks come out flat and in reading order, numbered ``b1``, ``b2`` … so a
comment can point at one. The same ids are written onto the elements
(``id`` and ``data-block``) so the rendition can be shown with every block
addressable. A list item, or a table cell, that holds a nested list or table
becomes a block of its own text only; the nested items follow as blocks.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Iterator
from typing import cast

from lxml import etree
from lxml import html as lxml_html

from documents.blocks import Block

from .errors import ConversionError

HEADINGS = {f"h{level}" for level in range(1, 7)}
# Elements that become one block each, all their content included.
BLOCKS = HEADINGS | {"p", "li", "td", "th", "pre", "blockquote", "figcaption", "caption"}
# Blocks that may hold nested structures, which are split out of them.
HOLDERS = {"li", "td", "th"}
NESTED = {"ul", "ol", "table"}
# Elements whose children are walked for blocks.
CONTAINERS = NESTED | {"thead", "tbody", "tfoot", "tr", "figure"}
STRUCTURAL = BLOCKS | CONTAINERS | {"img"}
# Elements after which plain text needs a space, so "one</p><p>two" reads "one two".
BREAKS = BLOCKS | NESTED | {"br", "tr"}
_WHITESPACE = re.compile(r"\s+")


def split_blocks(sanitised_html: str) -> tuple[str, list[Block]]:
    """Return the rendition (the HTML with block ids) and its blocks."""
    if not sanitised_html.strip():
        return "", []
    try:
        root = lxml_html.fragment_fromstring(sanitised_html, create_parent="div")
    except (etree.ParserError, ValueError) as error:
        raise ConversionError(
            "We could not lay out this document's text. Please try saving it in a "
            "different format (for example as a Word document) and upload it again."
        ) from error
    _drop_dead_ends(root)
    _wrap_loose_inline(root)
    blocks: list[Block] = []
    _walk(root, blocks)
    return _inner_html(root), blocks


def _walk(parent: etree._Element, blocks: list[Block]) -> None:
    for child in parent:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag in BLOCKS:
            _emit(child, blocks)
            if tag in HOLDERS:
                for structure in _nested_structures(child):
                    _walk(structure, blocks)
        elif tag == "img":
            _emit_image(child, child, blocks)
        elif tag in CONTAINERS:
            _walk(child, blocks)


def _emit(element: etree._Element, blocks: list[Block]) -> None:
    own = element
    if element.tag in HOLDERS and any(True for _ in _nested_structures(element)):
        own = copy.deepcopy(element)
        for structure in list(_nested_structures(own)):
            _remove_keeping_tail(structure)
    text = plain_text(own)
    images = own.findall(".//img")
    if not text and element.tag == "p" and images:
        # A paragraph holding only a picture is that picture.
        _emit_image(element, images[0], blocks, kind_html=_inner_html(own))
        return
    if not text and not images:
        return
    # An HTML tree's tags are strings (the stubs allow bytes and QName too).
    kind = "caption" if element.tag == "figcaption" else cast(str, element.tag)
    _add(element, blocks, kind=kind, text=text, inner=_inner_html(own))


def _emit_image(
    marked: etree._Element,
    image: etree._Element,
    blocks: list[Block],
    kind_html: str | None = None,
) -> None:
    alt = " ".join((image.get("alt") or "").split())
    inner = kind_html if kind_html is not None else _outer_html(image)
    _add(marked, blocks, kind="img", text=alt, inner=inner)


def _add(element: etree._Element, blocks: list[Block], *, kind: str, text: str, inner: str) -> None:
    block_id = f"b{len(blocks) + 1}"
    element.set("id", block_id)
    element.set("data-block", block_id)
    blocks.append(Block(id=block_id, kind=kind, text=text, html=inner.strip()))


def _nested_structures(element: etree._Element) -> Iterator[etree._Element]:
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag in NESTED:
            yield child
        else:
            yield from _nested_structures(child)


def plain_text(element: etree._Element) -> str:
    """The element's text with whitespace collapsed, as selectors count it."""
    pieces: list[str] = []
    _collect_text(element, pieces)
    return _WHITESPACE.sub(" ", "".join(pieces)).strip()


def _collect_text(element: etree._Element, pieces: list[str]) -> None:
    if element.text and isinstance(element.tag, str):
        pieces.append(element.text)
    for child in element:
        if isinstance(child.tag, str):
            _collect_text(child, pieces)
            if child.tag in BREAKS:
                pieces.append(" ")
        if child.tail:
            pieces.append(child.tail)


def _drop_dead_ends(root: lxml_html.HtmlElement) -> None:
    # The sanitiser strips a src or href it does not allow (or an internal
    # link, such as a footnote's): an <img> with nothing to show is noise to a
    # screen reader, and a link going nowhere is still announced as a link.
    for image in root.findall(".//img"):
        if not image.get("src"):
            _remove_keeping_tail(image)
    for link in root.findall(".//a"):
        if not link.get("href"):
            link.drop_tag()


def _wrap_loose_inline(root: etree._Element) -> None:
    """Gather text and inline elements lying between blocks into paragraphs."""
    items: list[etree._Element] = []
    current: list[etree._Element] = []  # the open paragraph, if any

    def paragraph() -> etree._Element:
        if not current:
            current.append(etree.Element("p"))
            items.append(current[0])
        return current[0]

    if root.text and root.text.strip():
        paragraph().text = root.text
    root.text = None
    for child in list(root):
        tail, child.tail = child.tail, None
        root.remove(child)
        if isinstance(child.tag, str) and child.tag in STRUCTURAL:
            items.append(child)
            current.clear()
        elif isinstance(child.tag, str):
            paragraph().append(child)
        if tail and tail.strip():
            _append_text(paragraph(), tail)
    for item in items:
        item.tail = "\n"
    root.extend(items)


def _append_text(element: etree._Element, text: str) -> None:
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


def _remove_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


# lxml.html.tostring serialises any element; the stubs accept only an HtmlElement, and a
# paragraph made here with etree.Element is not one.
def _inner_html(element: etree._Element) -> str:
    text = html.escape(element.text or "", quote=False)
    return text + "".join(
        lxml_html.tostring(child, encoding="unicode", with_tail=True)  # type: ignore[call-overload]
        for child in element
    )


def _outer_html(element: etree._Element) -> str:
    return lxml_html.tostring(element, encoding="unicode", with_tail=False)  # type: ignore[call-overload, no-any-return]
