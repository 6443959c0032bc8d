"""Receipts as they are stored and served: PDFs without anything a reader would run, and a
download name whose extension is that of the file's real type."""

from __future__ import annotations

import io
import re
import zlib
from pathlib import PurePath

from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from portal.rules import RuleBroken


class ReceiptRefused(RuleBroken):
    """The rules refuse the receipt file itself (rather than the rest of the expense)."""


EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

# Keys whose value a PDF reader runs or opens by itself: on opening the file or a page, on
# an event of a form field or annotation (/AA), scripts (/JS, the document's /JavaScript
# names), attached files that a click would open, and XFA forms (which carry scripts).
_ACTIVE_KEYS = {"/OpenAction", "/AA", "/JS", "/JavaScript", "/EmbeddedFiles", "/XFA"}
# Actions that run code, start programs, send data or open other files. A link to a web page
# (/URI) or to a page of the receipt itself (/GoTo) is left as it is.
_ACTIVE_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/SubmitForm",
    "/ImportData",
    "/ResetForm",
    "/GoToR",
    "/GoToE",
    "/Rendition",
    "/RichMediaExecute",
    "/Movie",
    "/Sound",
}
# What pypdf raises, or lets through from the modules it uses, on a broken or hostile file.
_UNREADABLE = (
    PyPdfError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    RecursionError,
    OSError,
    zlib.error,
)


def _is_active_action(value: PdfObject) -> bool:
    action = value.get_object() if isinstance(value, IndirectObject) else value
    return isinstance(action, DictionaryObject) and action.get("/S") in _ACTIVE_ACTIONS


def _children(value: PdfObject | None) -> list[PdfObject]:
    if isinstance(value, DictionaryObject):
        return list(value.values())
    if isinstance(value, ArrayObject):
        return list(value)
    return []


def _disarm(root: PdfObject) -> None:
    """Remove, everywhere below ``root``, what a reader would run."""
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject | None] = [root]
    while stack:
        value = stack.pop()
        if isinstance(value, IndirectObject):
            if (value.idnum, value.generation) in seen:
                continue
            seen.add((value.idnum, value.generation))
            value = value.get_object()
        if isinstance(value, DictionaryObject):
            for key in [key for key in value if key in _ACTIVE_KEYS]:
                del value[key]
            for key in ("/A", "/Next"):
                if key in value and _is_active_action(value[key]):
                    del value[key]
            if value.get("/S") in _ACTIVE_ACTIONS:
                # An action reached some other way: emptied, so that there is nothing to run.
                for key in [key for key in value if key != "/Type"]:
                    del value[key]
        stack.extend(_children(value))


def pdf_without_actions(data: bytes) -> bytes:
    """The PDF written again without scripts, actions that run on opening, launches or
    attached files; refused with a message when it cannot be read or has a password."""
    damaged = _(
        "This PDF seems to be damaged or incomplete, so it cannot be stored. Save or scan the "
        "receipt again, or take a photo of it."
    )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReceiptRefused(
                _(
                    "This PDF is protected by a password, so it cannot be stored. Save it "
                    "without the password, or take a photo of the receipt."
                )
            )
        if len(reader.pages) == 0:
            raise ReceiptRefused(damaged)
        writer = PdfWriter(clone_from=reader)
        _disarm(writer.root_object)
        # What the removed keys pointed at would still be written unless dropped.
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        output = io.BytesIO()
        writer.write(output)
    except _UNREADABLE:
        raise ReceiptRefused(damaged) from None
    return output.getvalue()


def download_name(name: str, content_type: str) -> str:
    """The name a receipt downloads under: the uploaded name's stem (or "receipt") with the
    extension of the type its content was found to be, whatever the uploaded name said."""
    stem = PurePath(name.replace("\\", "/")).name.split(".", 1)[0]
    stem = re.sub(r"[^\w\- ]+", "", stem).strip(" -_")[:80] or "receipt"
    return stem + EXTENSIONS.get(content_type, "")
