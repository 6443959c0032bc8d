"""Pictures found in a document, kept as files rather than inlined in the page.

Converters hand each embedded picture to a :class:`PictureStore` and put the
placeholder it returns in ``<img src>``. The placeholder carries a random token
made for this conversion, so text in a document can never pass for one; the
service swaps each placeholder for the address the picture is served from once
it is stored. What a picture is comes from its bytes, never from what the
document declares, so a file called a PNG that is really a web page is left out.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

# Only what every browser shows; SVG can carry script, so it is never kept.
SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
]
PLACEHOLDER = re.compile(r"^picture:[0-9a-f]{16}:[1-9][0-9]{0,5}$")


@dataclass(frozen=True)
class Picture:
    number: int
    content_type: str
    extension: str
    data: bytes


def picture_type(data: bytes) -> tuple[str, str] | None:
    """The content type and file ending ``data`` really has, if it is a picture we show."""
    for signature, content_type, extension in SIGNATURES:
        if data.startswith(signature):
            return content_type, extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


@dataclass
class PictureStore:
    """Collects a conversion's pictures within a size for each and for all of them."""

    max_bytes: int
    max_total_bytes: int
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    pictures: list[Picture] = field(default_factory=list)
    total_bytes: int = 0
    too_big: int = 0
    unsupported: int = 0
    over_total: int = 0

    def add(self, data: bytes) -> str | None:
        """Keep a picture and return its placeholder ``src``; None when it is left out."""
        if len(data) > self.max_bytes:
            self.too_big += 1
            return None
        kind = picture_type(data)
        if kind is None:
            self.unsupported += 1
            return None
        if self.total_bytes + len(data) > self.max_total_bytes:
            self.over_total += 1
            return None
        self.total_bytes += len(data)
        number = len(self.pictures) + 1
        self.pictures.append(Picture(number, kind[0], kind[1], data))
        return self.placeholder(number)

    def placeholder(self, number: int) -> str:
        return f"picture:{self.token}:{number}"

    def warnings(self) -> list[str]:
        notes = []
        if self.too_big:
            notes.append(
                f"{pictures_were(self.too_big)} left out because {they_are(self.too_big)} "
                f"larger than {_megabytes(self.max_bytes)}."
            )
        if self.unsupported:
            notes.append(
                f"{pictures_were(self.unsupported)} left out because {they_are(self.unsupported)} "
                "in a format web browsers cannot show."
            )
        if self.over_total:
            notes.append(
                f"{pictures_were(self.over_total)} left out because the document's pictures "
                f"together come to more than {_megabytes(self.max_total_bytes)}. "
                "Download the original to see every picture."
            )
        return notes


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")


def pictures_were(count: int, kind: str = "") -> str:
    return f"{count} {kind}picture{'s were' if count > 1 else ' was'}"


def they_are(count: int) -> str:
    return "they are" if count > 1 else "it is"
