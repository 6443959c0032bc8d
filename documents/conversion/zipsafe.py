"""Open DOCX and ODT packages without letting a hostile zip hurt the worker.

A zip's central directory declares every member's sizes, so we can judge a
package before anything is decompressed. Python's zipfile never returns more
than a member's declared size, so a member that lies about its size cannot
expand past the totals checked here.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from .errors import ConversionError

MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_RATIO = 100
# Small parts of real documents (styles, settings) compress very well; only a
# big member with an extreme ratio is a sign of a bomb.
RATIO_APPLIES_ABOVE_BYTES = 1024 * 1024


def open_zip(data: bytes, *, what: str) -> zipfile.ZipFile:
    """Open ``data`` as a zip, or explain in plain English why we cannot.

    ``what`` names the file for the message, e.g. "Word document".
    """
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise ConversionError(
            f"This {what} seems to be damaged or incomplete, so we cannot open it. "
            "It may not have finished uploading: please try again, or open it, save "
            "a fresh copy and upload that."
        ) from error


def check_zip_limits(
    archive: zipfile.ZipFile,
    *,
    what: str,
    max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
    max_members: int = MAX_MEMBERS,
    max_ratio: int = MAX_RATIO,
) -> None:
    """Refuse a package that would be too big or too many parts once unpacked."""
    members = archive.infolist()
    if len(members) > max_members:
        raise ConversionError(
            f"This {what} is made of more parts than we can safely open "
            f"({len(members):,}; the most we accept is {max_members:,}). "
            "It may be damaged or not a real document."
        )
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise ConversionError(
                f"This {what} is password-protected, so we cannot read it. Please save "
                "a copy without a password and upload that."
            )
        total += member.file_size
        big = member.file_size > RATIO_APPLIES_ABOVE_BYTES
        if big and member.file_size > max_ratio * max(member.compress_size, 1):
            raise ConversionError(
                f"This {what} contains a part that is packed unusually tightly, which is "
                "a sign of a damaged or harmful file, so we have not opened it."
            )
    if total > max_uncompressed:
        raise ConversionError(
            f"This {what} is too large to open safely: unpacked it comes to "
            f"{total / 1024 / 1024:,.0f} MB, and the most we can handle is "
            f"{max_uncompressed / 1024 / 1024:,.0f} MB. If it has large pictures, try "
            "compressing them, or split it into smaller documents."
        )


def read_member(archive: zipfile.ZipFile, name: str, *, what: str) -> bytes:
    """Read one member, turning a corrupt member into a ConversionError."""
    try:
        return archive.read(name)
    except (
        zipfile.BadZipFile,
        zlib.error,
        KeyError,
        OSError,
        ValueError,
        EOFError,
        NotImplementedError,
    ) as e:
        raise ConversionError(
            f"This {what} seems to be damaged, so we cannot read it. Please open it, "
            "save a fresh copy and upload that."
        ) from e
