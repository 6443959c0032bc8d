"""Small helpers for reading the portal's pages in the stage and member tests."""

from __future__ import annotations

import html
import re

from django.http import HttpResponse
from django.utils.html import escape


def page_text(response: HttpResponse) -> str:
    return response.content.decode()


def shows(response: HttpResponse, text: str) -> bool:
    """Whether the page shows ``text`` as a person would read it (HTML-escaped)."""
    return escape(text) in page_text(response)


def messages_of(response: HttpResponse) -> list[str]:
    """The flash messages the page carries."""
    return [str(message) for message in response.context["messages"]]


def cells_labelled(response: HttpResponse, label: str) -> list[str]:
    """The text of each cell headed ``label`` in a stacked table (``data-label``), in order."""
    found = re.findall(
        rf'<td[^>]*data-label="{re.escape(label)}"[^>]*>(.*?)</td>', page_text(response), re.S
    )
    return [_text(cell) for cell in found]


def described(response: HttpResponse, term: str) -> str:
    """The text of the ``<dd>`` that follows the ``<dt>`` saying ``term``."""
    match = re.search(
        rf"<dt[^>]*>\s*{re.escape(term)}\s*</dt>\s*<dd[^>]*>(.*?)</dd>", page_text(response), re.S
    )
    assert match, f"no {term!r} in a description list"
    return _text(match.group(1))


def _text(markup: str) -> str:
    """What a reader sees of some markup: tags gone, entities turned back, spaces as one."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()
