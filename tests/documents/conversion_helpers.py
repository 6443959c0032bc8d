"""Shared helpers for the conversion tests: fixture paths, file builders, a cleanliness check."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from lxml import html as lxml_html

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MAX = 20 * 1024 * 1024

_TAG_WITH_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
_TAG_WITH_SCRIPT_URL = re.compile(r"<[^>]*(javascript|vbscript):", re.IGNORECASE)
_TAG_WITH_STYLE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
FORBIDDEN_TAGS = {"script", "iframe", "svg", "math", "style", "object", "embed", "details", "body"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def assert_clean(markup: str) -> None:
    """No markup that could run script or load anything, as text or as parsed HTML.

    Escaped text such as ``&lt;script&gt;`` is allowed: it is shown, not run.
    """
    lowered = markup.lower()
    assert "<script" not in lowered
    assert "<iframe" not in lowered
    assert "<svg" not in lowered
    assert not _TAG_WITH_HANDLER.search(markup)
    assert not _TAG_WITH_SCRIPT_URL.search(markup)
    assert not _TAG_WITH_STYLE.search(markup)
    if not markup.strip():
        return
    root = lxml_html.fragment_fromstring(markup, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in FORBIDDEN_TAGS
        for attribute, value in element.attrib.items():
            assert not attribute.lower().startswith("on")
            assert attribute != "style"
            if attribute in ("href", "src"):
                assert value.startswith(("http://", "https://", "mailto:", "picture:"))


def zip_bytes(members: dict[str, bytes], *, first: str | None = None) -> bytes:
    """A zip of ``members``, byte for byte the same every time (no clock in the timestamps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if first is not None:
            archive.writestr(_member(first, zipfile.ZIP_STORED), members[first])
        for name, content in members.items():
            if name != first:
                archive.writestr(_member(name, zipfile.ZIP_DEFLATED), content)
    return buffer.getvalue()


def _member(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = compress_type
    info.external_attr = 0o600 << 16
    return info


def docx_with(name: str, replacements: dict[str, bytes]) -> bytes:
    """A copy of a fixture DOCX with some members replaced."""
    with zipfile.ZipFile(FIXTURES / name) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members.update(replacements)
    return zip_bytes(members)


TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)

ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content
  xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
  xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
  xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
  xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
  xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3">
 <office:automatic-styles>
  <style:style style:name="T1" style:family="text">
   <style:text-properties fo:font-weight="bold"/>
  </style:style>
  <text:list-style style:name="L1">
   <text:list-level-style-number text:level="1" style:num-format="1"/>
  </text:list-style>
 </office:automatic-styles>
 <office:body>
  <office:text>
   <text:sequence-decls/>
   <text:h text:outline-level="1">Participant information sheet</text:h>
   <text:p>You are <text:span text:style-name="T1">invited</text:span> to take part.<text:note
     text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation>
     <text:note-body><text:p>Taking part is voluntary.</text:p></text:note-body>
     </text:note></text:p>
   <text:p><office:annotation><dc:creator>Ann</dc:creator><text:p>A Word-style comment</text:p>
     </office:annotation>Read <text:a xlink:href="https://example.org/study">the study page</text:a>
     and <text:a xlink:href="javascript:alert(1)">not this</text:a>.</text:p>
   <text:list text:style-name="L1">
    <text:list-item><text:p>First step</text:p>
     <text:list><text:list-item><text:p>A detail</text:p></text:list-item></text:list>
    </text:list-item>
    <text:list-item><text:p>Second step</text:p></text:list-item>
   </text:list>
   <table:table table:name="Visits">
    <table:table-header-rows>
     <table:table-row><table:table-cell><text:p>Visit</text:p></table:table-cell>
      <table:table-cell><text:p>When</text:p></table:table-cell></table:table-row>
    </table:table-header-rows>
    <table:table-row><table:table-cell><text:p>First</text:p></table:table-cell>
     <table:table-cell><text:p>Week 1</text:p></table:table-cell></table:table-row>
   </table:table>
   <text:p><draw:frame draw:name="pic"><draw:image xlink:href="Pictures/dot.png"/>
     <svg:title>A single dot</svg:title></draw:frame></text:p>
   <text:p><draw:frame draw:name="far"><draw:image xlink:href="https://example.org/far.png"/>
     </draw:frame></text:p>
  </office:text>
 </office:body>
</office:document-content>
"""

MANIFEST = b"""<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
  manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/"
   manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""


def build_odt(content: str = ODT_CONTENT, *, mimetype: bytes | None = None) -> bytes:
    return zip_bytes(
        {
            "mimetype": mimetype or b"application/vnd.oasis.opendocument.text",
            "content.xml": content.encode(),
            "META-INF/manifest.xml": MANIFEST,
            "Pictures/dot.png": TINY_PNG,
        },
        first="mimetype",
    )
