"""PDF to paragraphs of text with pypdf.

A PDF holds positioned lines, not paragraphs, so we rebuild paragraphs: a
blank line ends one, and so does a short line ending a sentence (the last line
of a paragraph rarely reaches the right margin). Pages stay in order and a
paragraph never runs across a page break.
"""

from __future__ import annotations

import html
import io
import logging
import re

from pypdf import PdfReader

from .errors import ConversionError
from .text import strip_control_chars

logger = logging.getLogger(__name__)

MAX_PAGES = 1000
# A line shorter than this share of the page's longest line, ending a
# sentence, is taken as a paragraph's last line.
SHORT_LINE_SHARE = 0.7
_SENTENCE_END = re.compile(r"[.!?:…][\"'”’)]?$")

DAMAGED = (
    "This PDF seems to be damaged or incomplete, so we cannot read it. It may not have "
    "finished uploading: please try again, or save a fresh copy and upload that."
)
ENCRYPTED = (
    "This PDF is password-protected, so we cannot read it. Please save a copy "
    "without the password (or ask whoever sent it for one) and upload that."
)


def pdf_to_html(data: bytes, *, max_pages: int = MAX_PAGES) -> tuple[str, list[str]]:
    """Extract a PDF's text as ``<p>`` paragraphs; return HTML and warnings."""
    try:
        pages = _page_texts(data, max_pages)
    except ConversionError:
        raise
    except Exception as error:
        # pypdf raises many exception types for malformed input (its own
        # PdfReadError, but also ValueError, KeyError, zlib errors …); for a
        # file from outside they all mean the same: we cannot read it.
        logger.warning("pypdf could not read a PDF", exc_info=error)
        raise ConversionError(DAMAGED) from error

    parts: list[str] = []
    blank_pages = 0
    for text in pages:
        paragraphs = paragraphs_from_lines(strip_control_chars(text).split("\n"))
        if not paragraphs:
            blank_pages += 1
        parts.extend(f"<p>{html.escape(paragraph, quote=False)}</p>" for paragraph in paragraphs)
    if not parts:
        raise ConversionError(
            "This PDF has no text we can read. It may be a scan or a picture of the pages. "
            "Please upload the original document (for example the Word file) instead."
        )
    warnings = []
    if blank_pages:
        warnings.append(
            f"{blank_pages} page{'s' if blank_pages > 1 else ''} had no text we could read "
            "(perhaps only pictures or scanned images), so nothing from "
            f"{'them' if blank_pages > 1 else 'it'} is shown."
        )
    return "\n".join(parts), warnings


def _page_texts(data: bytes, max_pages: int) -> list[str]:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        raise ConversionError(ENCRYPTED)
    count = len(reader.pages)
    if count > max_pages:
        raise ConversionError(
            f"This PDF has {count:,} pages; the most we accept is {max_pages:,}. "
            "Please split it into smaller documents."
        )
    return [page.extract_text() or "" for page in reader.pages]


def paragraphs_from_lines(lines: list[str]) -> list[str]:
    """Group extracted lines into paragraphs (see the module docstring)."""
    stripped = [" ".join(line.split()) for line in lines]
    longest = max((len(line) for line in stripped), default=0)
    paragraphs: list[str] = []
    current = ""
    for line in stripped:
        if not line:
            paragraphs.append(current)
            current = ""
            continue
        if not current:
            current = line
        elif current.endswith("-") and not current.endswith(" -"):
            # A word broken at the margin: keep the hyphen, drop the gap.
            current += line
        else:
            current += " " + line
        if _SENTENCE_END.search(line) and len(line) < SHORT_LINE_SHARE * longest:
            paragraphs.append(current)
            current = ""
    paragraphs.append(current)
    return [paragraph for paragraph in paragraphs if paragraph]
