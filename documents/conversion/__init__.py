"""Turn an uploaded study document into a sanitised, block-addressed rendition.

One entry point, :func:`convert`. Every step that reads the upload can only
fail with :class:`ConversionError`, whose message is plain English and safe to
show to whoever uploaded the file; the original is kept either way. A
rendition past :class:`RenditionLimits` fails with :class:`TooLargeError`.
A worker converts in a child process under a memory and time budget
(:mod:`documents.conversion.isolated`), never in its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from documents.blocks import Block

from .detect import Kind, check_size, detect
from .docx import docx_text_size, docx_to_html
from .errors import ConversionError, TooLargeError
from .markdown import markdown_to_html
from .odt import odt_to_html
from .pdf import pdf_to_html
from .pictures import Picture, PictureStore
from .readability import Readability, measure
from .sanitise import sanitise, sanitise_rendition
from .split import split_blocks
from .text import decode_text, text_to_html

__all__ = [
    "Conversion",
    "ConversionError",
    "Picture",
    "Readability",
    "RenditionLimits",
    "TooLargeError",
    "convert",
]


@dataclass(frozen=True)
class RenditionLimits:
    """How much of a document is shown as a page; the settings give the real values."""

    max_blocks: int = 10_000
    max_characters: int = 1_000_000
    max_picture_bytes: int = 2 * 1024 * 1024
    max_pictures_bytes: int = 20 * 1024 * 1024


@dataclass(frozen=True)
class Conversion:
    kind: Kind
    # The sanitised rendition; each block's element has id="bN" data-block="bN". Pictures
    # are placeholders until with_picture_urls() gives them the address they are served at.
    html: str
    blocks: list[Block]
    readability: Readability
    warnings: list[str] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)
    picture_token: str = ""

    def with_picture_urls(self, urls: Mapping[int, str]) -> Conversion:
        """The same rendition with each picture's placeholder replaced by its address."""
        if not self.pictures:
            return self

        def place(markup: str) -> str:
            for picture in self.pictures:
                placeholder = f"picture:{self.picture_token}:{picture.number}"
                markup = markup.replace(f'"{placeholder}"', f'"{urls[picture.number]}"')
            return markup

        return replace(
            self,
            html=place(self.html),
            blocks=[replace(block, html=place(block.html)) for block in self.blocks],
        )


def convert(
    data: bytes, filename: str, *, max_bytes: int, limits: RenditionLimits | None = None
) -> Conversion:
    """Detect, convert, sanitise and split an upload; raise ConversionError if we cannot."""
    limits = limits or RenditionLimits()
    check_size(data, max_bytes)
    kind = detect(data, filename)
    pictures = PictureStore(
        max_bytes=limits.max_picture_bytes, max_total_bytes=limits.max_pictures_bytes
    )
    warnings: list[str] = []
    if kind == "docx":
        _check_docx_size(data, limits)
        raw, warnings = docx_to_html(data, pictures)
    elif kind == "odt":
        raw, warnings = odt_to_html(data, pictures)
    elif kind == "pdf":
        raw, warnings = pdf_to_html(data)
    else:
        text = decode_text(data)
        # Even if half of it were spaces and markup, it would not fit: say so before
        # building a page that would be refused.
        if len(text) > 2 * limits.max_characters:
            raise TooLargeError(_characters(len(text), limits))
        if kind == "markdown":
            raw, warnings = markdown_to_html(text, pictures)
        else:
            raw = text_to_html(text)
        del text
    del data

    rendition, blocks = split_blocks(sanitise(raw))
    del raw
    _check_limits(blocks, limits)
    warnings.extend(pictures.warnings())
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
        pictures=pictures.pictures,
        picture_token=pictures.token,
    )


def _check_docx_size(data: bytes, limits: RenditionLimits) -> None:
    # Twice the limits, as a cell of several paragraphs is one block and runs of spaces
    # become one: a document past these could never fit.
    size = docx_text_size(data)
    if size is None:
        return
    paragraphs, characters = size
    if paragraphs > 2 * limits.max_blocks:
        raise TooLargeError(_blocks(paragraphs, limits))
    if characters > 2 * limits.max_characters:
        raise TooLargeError(_characters(characters, limits))


def _check_limits(blocks: list[Block], limits: RenditionLimits) -> None:
    if len(blocks) > limits.max_blocks:
        raise TooLargeError(_blocks(len(blocks), limits))
    characters = sum(len(block.text) for block in blocks)
    if characters > limits.max_characters:
        raise TooLargeError(_characters(characters, limits))


def _blocks(count: int, limits: RenditionLimits) -> str:
    return (
        f"It has about {count:,} paragraphs, headings, list items and table cells; "
        f"the most we show is {limits.max_blocks:,}."
    )


def _characters(count: int, limits: RenditionLimits) -> str:
    return (
        f"It has about {count:,} characters of text; the most we show is {limits.max_characters:,}."
    )


def _clean_block(block: Block) -> Block:
    # The splitter's output went through lxml's serialiser; pass each block's
    # HTML through the sanitiser again so what is stored has been parsed the way
    # a browser parses it.
    return Block(id=block.id, kind=block.kind, text=block.text, html=sanitise(block.html))
