"""The addressable pieces of a converted document.

A version's HTML rendition is a flat sequence of blocks: headings, paragraphs,
list items, table cells, images and captions. Each has an id that is stable
within that version (``b1``, ``b2`` …, in reading order) so that a comment can
point at it, and plain text that selectors are measured against.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Block:
    id: str
    kind: str  # "h1".."h6", "p", "li", "td", "th", "img", "pre", "blockquote", "caption"
    text: str  # the block's plain text, whitespace collapsed; selectors count in it
    html: str  # the block's sanitised inner HTML

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Block:
        return cls(id=data["id"], kind=data["kind"], text=data["text"], html=data["html"])
