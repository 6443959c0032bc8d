"""The addressable pieces of a converted document.

A version's HTML rendition is a flat sequence of blocks: headings, paragraphs,
list items, table cells, images and captions. Each has an id that is stable
within that version (``b1``, ``b2`` …, in reading order) so that a comment can
point at it, and plain text that selectors are measured against.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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


def texts_encoded(blocks: Iterable[Block | dict[str, Any]]) -> str:
    """Each block's id and text, in reading order, as ``Version.texts`` keeps them."""
    return json.dumps(
        [
            [block.id, block.text] if isinstance(block, Block) else [block["id"], block["text"]]
            for block in blocks
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def texts_decoded(encoded: str) -> dict[str, tuple[int, str]]:
    """Each block's place in reading order (from 1) and its text, by id."""
    pairs = json.loads(encoded)
    return {block_id: (index, text) for index, (block_id, text) in enumerate(pairs, 1)}
