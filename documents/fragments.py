"""Rendered threads, kept by what they show so that a page reload need not render them again.

A thread's HTML depends only on the values in its signature: the key is a hash of all of
them, so a changed comment, answer, reply or draft simply has a new key and an old entry is
never shown. The one per-request value, the CSRF token, is left as a placeholder.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.utils import translation

from documents.selectors import ThreadView

CSRF_PLACEHOLDER = "\x00csrf\x00"
# Where the page's one reply form goes, in the thread being answered; removed from the others.
REPLY_PLACEHOLDER = "\x00reply\x00"
_MAX_ENTRIES = 5000
_entries: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def _stamp(value: Any) -> str:
    return "" if value is None else value.isoformat()


def signature(view: ThreadView, *, user_id: int, can_respond: bool, page: dict[str, str]) -> str:
    """Everything the thread template reads, as one hash."""
    thread = view.thread
    response = view.response
    parts: list[Any] = [
        translation.get_language(),
        user_id,
        can_respond,
        sorted(page.items()),
        thread.pk,
        thread.author_id,
        thread.author.display_name,
        _stamp(thread.created_at),
        thread.state,
        view.state_label,
        thread.visibility,
        thread.version.number,
        thread.body,
        _stamp(thread.edited_at),
        _stamp(thread.withdrawn_at),
        view.block_id,
        view.block_preview,
        view.marked,
        view.section,
        view.quote,
        view.from_earlier,
        view.unplaced,
        view.confidence < 1,
        None
        if response is None
        else (
            view.outcome_label,
            response.body,
            response.reason,
            _stamp(response.published_at),
            response.changed_in.number if response.changed_in else None,
        ),
        [
            (
                reply.pk,
                reply.author_id,
                reply.author.display_name,
                _stamp(reply.created_at),
                _stamp(reply.withdrawn_at),
                reply.body,
            )
            for reply in view.replies
        ],
        None
        if view.reply_draft is None
        else (view.reply_draft.body, _stamp(view.reply_draft.updated_at)),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def rendered(key: str, render: Callable[[], str]) -> str:
    """The thread's HTML for this signature, rendering it only the first time."""
    with _lock:
        html = _entries.get(key)
        if html is not None:
            _entries.move_to_end(key)
            return html
    html = render()
    with _lock:
        _entries[key] = html
        while len(_entries) > _MAX_ENTRIES:
            _entries.popitem(last=False)
    return html


def clear() -> None:
    """Forget every rendered thread (for measuring a first load)."""
    with _lock:
        _entries.clear()
