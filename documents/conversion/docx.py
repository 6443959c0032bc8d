"""Word (.docx) to HTML with mammoth.

mammoth keeps the document's structure (headings, lists, tables, footnotes)
and drops its look, which is what a review needs. Word comments are left out:
they are the authors' notes to each other, not part of what partners review.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

import mammoth
from lxml import etree
from mammoth import html as mammoth_html
from mammoth.docx.files import InvalidFileReferenceError

from .errors import ConversionError
from .pictures import PictureStore, pictures_were, they_are
from .zipsafe import check_zip_limits, open_zip

logger = logging.getLogger(__name__)

WHAT = "Word document"
# mammoth links each footnote back to its reference; our renditions carry only
# block ids, so the "↑" links would go nowhere.
_BACK_LINK = re.compile(r'\s*<a href="#(?:foot|end)note-ref-[^"]*">↑</a>')


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class _PictureCounts:
    linked: int = 0


def docx_text_size(data: bytes) -> tuple[int, int] | None:
    """How many paragraphs with text, and how many characters, the document body holds.

    Read by streaming its XML, in little memory and a second or two even for 100 MB,
    so a document far too long to show is refused before mammoth, which needs some 60
    times the XML's size in memory, is given it. None when the package cannot be read
    that way: mammoth then says what is wrong.
    """
    paragraphs = characters = 0
    with open_zip(data, what=WHAT) as archive:
        check_zip_limits(archive, what=WHAT)
        try:
            with archive.open("word/document.xml") as stream:
                with_text = False
                for _event, element in etree.iterparse(
                    stream,
                    events=("end",),
                    tag=(f"{_W}t", f"{_W}p"),
                    resolve_entities=False,
                    no_network=True,
                    load_dtd=False,
                ):
                    if element.tag == f"{_W}t":
                        if element.text and element.text.strip():
                            characters += len(element.text)
                            with_text = True
                        continue
                    paragraphs += with_text
                    with_text = False
                    element.clear(keep_tail=False)
                    while element.getprevious() is not None:
                        del element.getparent()[0]  # type: ignore[union-attr]
        except (
            zipfile.BadZipFile,
            zlib.error,
            KeyError,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
            etree.LxmlError,
        ):
            return None
    return paragraphs, characters


def docx_to_html(data: bytes, pictures: PictureStore) -> tuple[str, list[str]]:
    """Convert a DOCX; return the (unsanitised) HTML and plain-English warnings.

    Embedded pictures go to ``pictures``; the HTML holds their placeholders.
    """
    with open_zip(data, what=WHAT) as archive:
        check_zip_limits(archive, what=WHAT)
    counts = _PictureCounts()
    try:
        result = mammoth.convert_to_html(
            io.BytesIO(data),
            convert_image=lambda image: _convert_image(image, counts, pictures),
            external_file_access=False,
        )
    except (ConversionError, MemoryError):
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


def _convert_image(image: Any, counts: _PictureCounts, pictures: PictureStore) -> list[Any]:
    try:
        with image.open() as stream:
            raw: bytes = stream.read(pictures.max_bytes + 1)
    except InvalidFileReferenceError:
        # A picture linked from outside the file. mammoth refuses to open it
        # (external_file_access=False); we never fetch anything either.
        counts.linked += 1
        return []
    src = pictures.add(raw)
    if src is None:
        return []
    attributes = {"src": src}
    if image.alt_text:
        attributes["alt"] = image.alt_text
    return [mammoth_html.element("img", attributes)]


def _warnings(counts: _PictureCounts) -> list[str]:
    if not counts.linked:
        return []
    return [
        f"{pictures_were(counts.linked, 'linked ')} left out because "
        f"{they_are(counts.linked)} stored outside the document."
    ]
