"""Small helpers for reading the portal's pages in the stage and member tests."""

from __future__ import annotations

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
