"""Decide what an uploaded file really is, from its bytes.

The file name and the browser's content type are only what the uploader
claims. We sniff the content, then refuse the file if its name claims
something else: a mismatch is how a web page or a program gets passed off as
a document, and it confuses the people who download the original later.

Markdown or plain text: both are UTF-8 text. A ``.md``/``.markdown`` name
makes it Markdown and a ``.txt`` name plain text. A text file with no
extension is Markdown when it has at least one ATX heading line (``# Title``),
the one Markdown feature that plain prose practically never has.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from typing import Literal

from .errors import ConversionError
from .zipsafe import open_zip

Kind = Literal["docx", "odt", "pdf", "markdown", "text"]

EXTENSIONS: dict[str, Kind] = {
    ".docx": "docx",
    ".odt": "odt",
    ".pdf": "pdf",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
}

# What a kind is called when the name claims it ("is not a Word document") and
# when the content shows it ("it looks like a Word document (.docx)").
CLAIMED: dict[Kind, str] = {
    "docx": "a Word document",
    "odt": "an OpenDocument text file",
    "pdf": "a PDF",
    "markdown": "a Markdown or text file",
    "text": "a text file",
}
LOOKS_LIKE: dict[Kind, str] = {
    "docx": "a Word document (.docx)",
    "odt": "an OpenDocument text file (.odt)",
    "pdf": "a PDF",
    "markdown": "a Markdown file (.md)",
    "text": "a plain text file (.txt)",
}
ZIP_WHAT: dict[str, str] = {".docx": "Word document", ".odt": "OpenDocument file"}

ACCEPTED = (
    "Please upload a Word document (.docx), an OpenDocument text file (.odt), a PDF, "
    "a Markdown file (.md) or a plain text file (.txt)."
)

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
OTHER_ZIP_MIMETYPES = {
    b"application/vnd.oasis.opendocument.spreadsheet": "an OpenDocument spreadsheet (.ods)",
    b"application/vnd.oasis.opendocument.presentation": "an OpenDocument presentation (.odp)",
    b"application/epub+zip": "an e-book (EPUB)",
}
MAGIC: list[tuple[bytes, str]] = [
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an older Microsoft Office file (such as .doc) or a password-protected Office file",
    ),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"\x89PNG", "a picture (PNG)"),
    (b"\xff\xd8\xff", "a picture (JPEG)"),
    (b"GIF8", "a picture (GIF)"),
    (b"{\\rtf", "a Rich Text Format (RTF) file"),
    (b"\xff\xfe", "a text file saved as UTF-16 rather than UTF-8"),
    (b"\xfe\xff", "a text file saved as UTF-16 rather than UTF-8"),
]
HTML_START = re.compile(r"<(!doctype\s+html|html|head|body|script)\b", re.IGNORECASE)
MARKUP_START: list[tuple[str, str]] = [("<?xml", "an XML file"), ("<svg", "an SVG picture")]
ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)
# Share of characters that are control characters above which "text" is really
# binary that happens to decode; a stray NUL in real prose stays far below it.
MAX_CONTROL_SHARE = 0.05
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse an empty file or one larger than ``max_bytes``."""
    if not data:
        raise ConversionError("This file is empty. Please check you chose the right file.")
    if len(data) > max_bytes:
        raise ConversionError(
            f"This file is {_megabytes(len(data))}; the largest we accept is "
            f"{_megabytes(max_bytes)}. If it has large pictures, try compressing them, "
            "or split it into smaller documents."
        )


def detect(data: bytes, filename: str) -> Kind:
    """Return the kind of document ``data`` really is, or raise ConversionError."""
    extension = _extension(filename)
    claimed = EXTENSIONS.get(extension)
    kind, description = _sniff(data, extension)
    if kind is None:
        if claimed:
            raise ConversionError(
                f"This file is named {extension} but is not {CLAIMED[claimed]}; "
                f"it looks like {description}. {ACCEPTED}"
            )
        raise ConversionError(
            f"This file looks like {description}, which we cannot use. {ACCEPTED}"
        )
    if extension and claimed is None:
        raise ConversionError(
            f"We cannot use files named {extension} (this one looks like {description}). {ACCEPTED}"
        )
    if claimed is not None and _family(claimed) != _family(kind):
        raise ConversionError(
            f"This file is named {extension} but is not {CLAIMED[claimed]}; "
            f"it looks like {description}. Please check you chose the right file, "
            "or give it the right ending."
        )
    if kind == "text" and claimed is not None:
        # Both are UTF-8 text: the name chooses how to render it.
        return claimed
    return kind


def _sniff(data: bytes, extension: str) -> tuple[Kind | None, str]:
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data, extension)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
        return "pdf", LOOKS_LIKE["pdf"]
    for magic, description in MAGIC:
        if data.startswith(magic):
            return None, description
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, (
            "a file we do not recognise (if it is a text file, save it with UTF-8 "
            "encoding and try again)"
        )
    if len(CONTROL.findall(text)) > MAX_CONTROL_SHARE * len(text):
        return None, "a binary file, not text"
    start = text.lstrip()[:200]
    if HTML_START.match(start):
        return None, "a web page (HTML)"
    for prefix, description in MARKUP_START:
        if start.lower().startswith(prefix):
            return None, description
    if extension in (".md", ".markdown") or (extension == "" and ATX_HEADING.search(text)):
        return "markdown", LOOKS_LIKE["markdown"]
    return "text", LOOKS_LIKE["text"]


def _sniff_zip(data: bytes, extension: str) -> tuple[Kind | None, str]:
    archive = open_zip(data, what=ZIP_WHAT.get(extension, "file"))
    with archive:
        names = set(archive.namelist())
        if "word/document.xml" in names:
            return "docx", LOOKS_LIKE["docx"]
        if "mimetype" in names:
            mimetype = _small_member(archive, "mimetype").strip()
            if mimetype == ODT_MIMETYPE:
                return "odt", LOOKS_LIKE["odt"]
            if mimetype in OTHER_ZIP_MIMETYPES:
                return None, OTHER_ZIP_MIMETYPES[mimetype]
        if "xl/workbook.xml" in names:
            return None, "an Excel spreadsheet"
        if "ppt/presentation.xml" in names:
            return None, "a PowerPoint presentation"
    return None, "a zip archive"


def _small_member(archive: zipfile.ZipFile, name: str) -> bytes:
    # The mimetype member is a few dozen bytes; anything bigger is not one.
    info = archive.getinfo(name)
    if info.file_size > 200:
        return b""
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError):
        return b""


def _extension(filename: str) -> str:
    base = posixpath.basename(filename.replace("\\", "/")).strip().lower()
    stem, dot, extension = base.rpartition(".")
    return f".{extension}" if dot and stem else ""


def _family(kind: Kind) -> str:
    return "text" if kind in ("markdown", "text") else kind


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")
