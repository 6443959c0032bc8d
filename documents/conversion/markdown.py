"""Markdown to HTML with markdown-it-py.

Raw HTML in the Markdown is switched off, so a ``<script>`` typed into a lay
summary is shown as text, never passed through as markup.
"""

from __future__ import annotations

import base64
import binascii
import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .pictures import PictureStore
from .text import strip_control_chars

_DATA_IMAGE = re.compile(r"^data:image/[a-z0-9.+-]+;base64,", re.IGNORECASE)


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    return parser.enable(["table", "strikethrough"])


def markdown_to_html(text: str, pictures: PictureStore) -> tuple[str, list[str]]:
    """Render Markdown; return the (unsanitised) HTML and plain-English warnings.

    Pictures embedded as ``data:`` addresses go to ``pictures``; the HTML holds their
    placeholders.
    """
    parser = _parser()
    tokens = parser.parse(strip_control_chars(text))
    images = _images(tokens)
    linked = sum(1 for image in images if not _is_embedded(image))
    for image in images:
        if _is_embedded(image):
            image.attrSet("src", _stored(str(image.attrGet("src")), pictures))
    warnings = []
    if linked:
        warnings.append(
            f"{linked} picture{'s were' if linked > 1 else ' was'} left out because "
            f"{'they are' if linked > 1 else 'it is'} stored on another website; "
            "we never fetch files from elsewhere."
        )
    return parser.renderer.render(tokens, parser.options, {}), warnings


def _images(tokens: list[Token]) -> list[Token]:
    found = []
    for token in tokens:
        if token.type == "image":
            found.append(token)
        if token.children:
            found.extend(_images(token.children))
    return found


def _is_embedded(image: Token) -> bool:
    return bool(_DATA_IMAGE.match(str(image.attrGet("src") or "")))


def _stored(src: str, pictures: PictureStore) -> str:
    # An empty src is dropped by the sanitiser, and the picture with it.
    try:
        data = base64.b64decode(src.partition(",")[2], validate=False)
    except (binascii.Error, ValueError):
        pictures.unsupported += 1
        return ""
    return pictures.add(data) or ""
