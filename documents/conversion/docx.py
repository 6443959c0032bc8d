"""Word (.docx) to HTML with mammoth.

mammoth keeps the document's structure (headings, lists, tables, footnotes)
and drops its look, which is what a review needs. Word comments are left out:
they are the authors' notes to each other, not part of what partners review.
"""

from __future__ import annotations

import base64
import io
import logging
import re
from dataclasses import dataclass
from typing import Any

import mammoth
from mammoth import html as mammoth_html
from mammoth.docx.files import InvalidFileReferenceError

from .errors import ConversionError
from .zipsafe import check_zip_limits, open_zip

logger = logging.getLogger(__name__)

WHAT = "Word document"
MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
# mammoth links each footnote back to its reference; our renditions carry only
# block ids, so the "↑" links would go nowhere.
_BACK_LINK = re.compile(r'\s*<a href="#(?:foot|end)note-ref-[^"]*">↑</a>')


@dataclass
class _PictureCounts:
    linked: int = 0
    too_big: int = 0
    unsupported: int = 0


def docx_to_html(data: bytes) -> tuple[str, list[str]]:
    """Convert a DOCX; return the (unsanitised) HTML and plain-English warnings."""
    with open_zip(data, what=WHAT) as archive:
        check_zip_limits(archive, what=WHAT)
    counts = _PictureCounts()
    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data),
            convert_image=lambda image: _convert_image(image, counts),
            external_file_access=False,
        )
    except ConversionError:
        raise
    except Exception as error:
        # mammoth raises whatever its zip and XML readers raise on a damaged
        # package (KeyError, ValueError, XML errors …); all mean "cannot read".
        logger.warning("mammoth could not convert a DOCX", exc_info=error)
        raise ConversionError(
            "We could not read this Word document; it may be damaged. Please open it "
            "in Word, save a fresh copy and upload that."
        ) from error
    return _BACK_LINK.sub("", result.value), _warnings(counts)


def _convert_image(image: Any, counts: _PictureCounts) -> list[Any]:
    try:
        with image.open() as stream:
            raw = stream.read(MAX_IMAGE_BYTES + 1)
    except InvalidFileReferenceError:
        # A picture linked from outside the file. mammoth refuses to open it
        # (external_file_access=False); we never fetch anything either.
        counts.linked += 1
        return []
    if len(raw) > MAX_IMAGE_BYTES:
        counts.too_big += 1
        return []
    if image.content_type not in IMAGE_TYPES:
        counts.unsupported += 1
        return []
    attributes = {"src": f"data:{image.content_type};base64,{base64.b64encode(raw).decode()}"}
    if image.alt_text:
        attributes["alt"] = image.alt_text
    return [mammoth_html.element("img", attributes)]


def _warnings(counts: _PictureCounts) -> list[str]:
    notes = []
    if counts.linked:
        notes.append(
            f"{_pictures(counts.linked, 'linked ')} left out because "
            f"{_they(counts.linked)} stored outside the document."
        )
    if counts.too_big:
        notes.append(
            f"{_pictures(counts.too_big)} left out because {_they(counts.too_big)} "
            f"larger than {MAX_IMAGE_BYTES // 1024 // 1024} MB."
        )
    if counts.unsupported:
        notes.append(
            f"{_pictures(counts.unsupported)} left out because {_they(counts.unsupported)} "
            "in a format web browsers cannot show."
        )
    return notes


def _pictures(count: int, kind: str = "") -> str:
    return f"{count} {kind}picture{'s were' if count > 1 else ' was'}"


def _they(count: int) -> str:
    return "they are" if count > 1 else "it is"
