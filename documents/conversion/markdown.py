"""Markdown to HTML with markdown-it-py.

Raw HTML in the Markdown is switched off, so a ``<script>`` typed into a lay
summary is shown as text, never passed through as markup.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .text import strip_control_chars


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    return parser.enable(["table", "strikethrough"])


def markdown_to_html(text: str) -> tuple[str, list[str]]:
    """Render Markdown; return the (unsanitised) HTML and plain-English warnings."""
    parser = _parser()
    tokens = parser.parse(strip_control_chars(text))
    linked = sum(1 for image in _images(tokens) if not _is_embedded(image))
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
    return str(image.attrGet("src") or "").startswith("data:image/")
