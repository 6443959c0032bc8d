"""OpenDocument text (.odt) to HTML, reading content.xml with lxml.

odfpy's odf2xhtml carries styles, frames and page layout we would only strip
again, so we walk the few elements a review needs: headings, paragraphs,
lists, tables, links, footnotes, bold/italic/underline and small embedded
pictures. The XML parser never resolves entities, loads a DTD or touches the
network. Comments (office:annotation) and tracked deletions are left out.
"""

from __future__ import annotations

import html
import zipfile

from lxml import etree

from .errors import ConversionError
from .pictures import PictureStore, pictures_were, they_are
from .zipsafe import check_zip_limits, open_zip, read_member

WHAT = "OpenDocument file"
NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
}
SKIPPED = {
    "office:annotation", "office:annotation-end", "text:tracked-changes", "text:sequence-decls",
    "office:forms", "text:bookmark-ref", "text:note-citation",
}  # fmt: skip


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _name(element: etree._Element) -> str:
    qname = etree.QName(element)
    for prefix, uri in NS.items():
        if uri == qname.namespace:
            return f"{prefix}:{qname.localname}"
    return qname.localname


def odt_to_html(data: bytes, pictures: PictureStore) -> tuple[str, list[str]]:
    """Convert an ODT; return the (unsanitised) HTML and plain-English warnings.

    Embedded pictures go to ``pictures``; the HTML holds their placeholders.
    """
    with open_zip(data, what=WHAT) as archive:
        check_zip_limits(archive, what=WHAT)
        content = read_member(archive, "content.xml", what=WHAT)
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        try:
            root = etree.fromstring(content, parser=parser)
        except etree.XMLSyntaxError as error:
            raise ConversionError(
                "We could not read this OpenDocument file; it may be damaged. Please open "
                "it, save a fresh copy and upload that."
            ) from error
        converter = _Converter(archive, root, pictures)
        body = root.find(f"{_q('office:body')}/{_q('office:text')}")
        try:
            html_text = converter.blocks(body) if body is not None else ""
        except RecursionError as error:
            raise ConversionError(
                "This OpenDocument file is nested too deeply for us to read. Please "
                "simplify its lists or tables, or save it as a Word document."
            ) from error
    return html_text + converter.notes_html(), converter.warnings()


class _Converter:
    def __init__(
        self, archive: zipfile.ZipFile, root: etree._Element, pictures: PictureStore
    ) -> None:
        self.archive = archive
        self.pictures = pictures
        self.notes: list[str] = []
        self.linked = 0
        self.text_styles: dict[str, tuple[str, ...]] = {}
        self.numbered_lists: set[str] = set()
        for style in root.iterfind(f".//{_q('office:automatic-styles')}/*"):
            name = style.get(_q("style:name"), "")
            if (
                _name(style) == "text:list-style"
                and len(style)
                and (_name(style[0]) == "text:list-level-style-number")
            ):
                self.numbered_lists.add(name)
            props = style.find(_q("style:text-properties"))
            if props is not None:
                self.text_styles[name] = _inline_tags(props)

    def blocks(self, parent: etree._Element) -> str:
        return "".join(self.block(child) for child in parent if isinstance(child.tag, str))

    def block(self, element: etree._Element) -> str:
        name = _name(element)
        if name in SKIPPED:
            return ""
        if name == "text:h":
            level = min(max(_int(element.get(_q("text:outline-level")), 1), 1), 6)
            return f"<h{level}>{self.inline(element)}</h{level}>"
        if name == "text:p":
            return f"<p>{self.inline(element)}</p>"
        if name == "text:list":
            tag = "ol" if element.get(_q("text:style-name")) in self.numbered_lists else "ul"
            items = "".join(
                f"<li>{self.blocks(item)}</li>"
                for item in element
                if _name(item) in ("text:list-item", "text:list-header")
            )
            return f"<{tag}>{items}</{tag}>"
        if name == "table:table":
            return f"<table>{self.rows(element)}</table>"
        return self.blocks(element)

    def rows(self, parent: etree._Element, header: bool = False) -> str:
        out = []
        for child in parent:
            name = _name(child) if isinstance(child.tag, str) else ""
            if name == "table:table-row":
                out.append("<tr>" + "".join(self.cell(c, header) for c in child) + "</tr>")
            elif name == "table:table-header-rows":
                out.append(self.rows(child, header=True))
            elif name in ("table:table-rows", "table:table-row-group"):
                out.append(self.rows(child, header))
        return "".join(out)

    def cell(self, cell: etree._Element, header: bool) -> str:
        if _name(cell) != "table:table-cell":
            return ""
        tag = "th" if header else "td"
        spans = ""
        for attribute, html_name in (("columns", "colspan"), ("rows", "rowspan")):
            span = _int(cell.get(_q(f"table:number-{attribute}-spanned")), 1)
            if span > 1:
                spans += f' {html_name}="{min(span, 999)}"'
        return f"<{tag}{spans}>{self.blocks(cell)}</{tag}>"

    def inline(self, element: etree._Element) -> str:
        out = [html.escape(element.text or "", quote=False)]
        for child in element:
            if isinstance(child.tag, str):
                out.append(self.inline_element(child))
            out.append(html.escape(child.tail or "", quote=False))
        return "".join(out)

    def inline_element(self, element: etree._Element) -> str:
        name = _name(element)
        if name in SKIPPED:
            return ""
        if name == "text:s":
            return " " * min(_int(element.get(_q("text:c")), 1), 100)
        if name == "text:tab":
            return " "
        if name == "text:line-break":
            return "<br>"
        if name == "text:a":
            href = html.escape(element.get(_q("xlink:href"), ""))
            return f'<a href="{href}">{self.inline(element)}</a>'
        if name == "text:note":
            body = element.find(_q("text:note-body"))
            self.notes.append(self.blocks(body) if body is not None else "")
            return f"<sup>[{len(self.notes)}]</sup>"
        if name == "draw:frame":
            return self.image(element)
        inner = self.inline(element)
        if name == "text:span":
            for tag in self.text_styles.get(element.get(_q("text:style-name"), ""), ()):
                inner = f"<{tag}>{inner}</{tag}>"
        return inner

    def image(self, frame: etree._Element) -> str:
        image = frame.find(_q("draw:image"))
        if image is None:
            return self.blocks(frame)  # a text box: keep its text
        href = image.get(_q("xlink:href"), "")
        described = frame.findtext(_q("svg:title")) or frame.findtext(_q("svg:desc")) or ""
        alt = " ".join(described.split())
        if "://" in href or href.startswith(("/", "..")) or href not in self.archive.namelist():
            self.linked += 1
            return ""
        if self.archive.getinfo(href).file_size > self.pictures.max_bytes:
            self.pictures.too_big += 1  # known from the zip's directory, without reading it
            return ""
        src = self.pictures.add(read_member(self.archive, href, what=WHAT))
        if src is None:
            return ""
        return f'<img src="{src}" alt="{html.escape(alt)}">'

    def notes_html(self) -> str:
        if not self.notes:
            return ""
        return "<ol>" + "".join(f"<li>{note}</li>" for note in self.notes) + "</ol>"

    def warnings(self) -> list[str]:
        if not self.linked:
            return []
        return [
            f"{pictures_were(self.linked, 'linked ')} left out because "
            f"{they_are(self.linked)} stored outside the document."
        ]


def _inline_tags(props: etree._Element) -> tuple[str, ...]:
    tags = []
    if props.get(_q("fo:font-weight")) == "bold":
        tags.append("strong")
    if props.get(_q("fo:font-style")) == "italic":
        tags.append("em")
    if props.get(_q("style:text-underline-style"), "none") != "none":
        tags.append("u")
    return tuple(tags)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
