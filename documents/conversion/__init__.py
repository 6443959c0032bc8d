"""Turn an uploaded study document into a sanitised, block-addressed rendition.

One entry point, :func:`convert`. Every step that reads the upload can only
fail with :class:`ConversionError`, whose message is plain English and safe to
show to whoever uploaded the file; the original is kept either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from documents.blocks import Block

from .detect import Kind, check_size, detect
from .docx import docx_to_html
from .errors import ConversionError
from .markdown import markdown_to_html
from .odt import odt_to_html
from .pdf import pdf_to_html
from .readability import Readability, measure
from .sanitise import sanitise, sanitise_rendition
from .split import split_blocks
from .text import decode_text, text_to_html

__all__ = ["Conversion", "ConversionError", "Readability", "convert"]


@dataclass(frozen=True)
class Conversion:
    kind: Kind
    html: str  # the sanitised rendition; each block's element has id="bN" data-block="bN"
    blocks: list[Block]
    readability: Readability
    warnings: list[str] = field(default_factory=list)


def convert(data: bytes, filename: str, *, max_bytes: int) -> Conversion:
    """Detect, convert, sanitise and split an upload; raise ConversionError if we cannot."""
    check_size(data, max_bytes)
    kind = detect(data, filename)
    warnings: list[str] = []
    if kind == "docx":
        raw, warnings = docx_to_html(data)
    elif kind == "odt":
        raw, warnings = odt_to_html(data)
    elif kind == "pdf":
        raw, warnings = pdf_to_html(data)
    elif kind == "markdown":
        raw, warnings = markdown_to_html(decode_text(data))
    else:
        raw = text_to_html(decode_text(data))

    rendition, blocks = split_blocks(sanitise(raw))
    if not blocks:
        # Not an error: the original is kept and the team can see what happened,
        # e.g. a document whose only picture was linked from elsewhere.
        warnings.append("We found no text or pictures to show in this document.")
    blocks = [_clean_block(block) for block in blocks]
    return Conversion(
        kind=kind,
        html=sanitise_rendition(rendition),
        blocks=blocks,
        readability=measure(blocks),
        warnings=warnings,
    )


def _clean_block(block: Block) -> Block:
    # The splitter's output went through lxml's serialiser; pass each block's
    # HTML through the sanitiser again so what is stored has been parsed the way
    # a browser parses it.
    return Block(id=block.id, kind=block.kind, text=block.text, html=sanitise(block.html))
