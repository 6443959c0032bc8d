"""Addresses of conversations on a version page, which lists its threads a page at a time."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# These choose what the list shows; a link to one thread chooses for itself.
_LIST_PARAMETERS = {"page", "on", "reply", "thread"}


def thread_address(page: str, thread_id: int) -> str:
    """``page`` (a version page's address) opened at the thread, whichever page it is on."""
    parts = urlsplit(page)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in _LIST_PARAMETERS]
    query.append(("thread", str(thread_id)))
    return urlunsplit(parts._replace(query=urlencode(query), fragment=f"thread-{thread_id}"))
