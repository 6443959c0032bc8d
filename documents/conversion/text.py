"""Plain text: decode, clean, and turn into paragraphs."""

from __future__ import annotations

import html
import re

from .errors import ConversionError

# C0 and C1 control characters except tab and line breaks; bidirectional
# embeddings, overrides and isolates, which can make text display in a
# different order from how it reads (the "Trojan Source" trick); stray BOMs.
_UNWANTED = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without a BOM) and normalise line endings."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConversionError(
            "This text file is not saved as UTF-8, so some characters would come out "
            "wrong. Please save it again choosing UTF-8 encoding, and upload the new copy."
        ) from error
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_control_chars(text: str) -> str:
    """Remove characters that are invisible, unprintable or reorder text."""
    return _UNWANTED.sub("", text.replace("\f", "\n"))


def text_to_html(text: str) -> str:
    """Paragraphs on blank lines; single line breaks kept as typed."""
    paragraphs = []
    for chunk in _PARAGRAPH_BREAK.split(strip_control_chars(text)):
        lines = [html.escape(line.strip(), quote=False) for line in chunk.strip().split("\n")]
        if any(lines):
            paragraphs.append("<p>" + "<br>".join(lines) + "</p>")
    return "\n".join(paragraphs)
