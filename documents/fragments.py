"""Rendered threads, kept by what they show so that a page reload need not render them again.

A thread's HTML depends only on the values in its signature: the key is a hash of all of
them, so a changed comment, answer, reply or draft simply has a new key and an old entry is
never shown. The one per-request value, the CSRF token, is left as a placeholder.

They are kept in Django's cache (Redis in production, so every web process shares them and
none can hold one the others have not; local memory under ``make run``), a page's threads
read and written in one round trip each. Entries are only ever added, never changed, so
processes need no coordination; old ones expire or are evicted.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.template.loader import get_template
from django.utils import translation

from documents.models import Comment
from documents.selectors import ThreadView

CSRF_PLACEHOLDER = "\x00csrf\x00"
# The page's own address (where a button's form returns to), also put in per request, so
# that one thread's HTML serves every address the page is reached by.
PATH_PLACEHOLDER = "\x00path\x00"
# Where the page's one reply form goes, in the thread being answered; removed from the others.
REPLY_PLACEHOLDER = "\x00reply\x00"
_PREFIX = "thread-html:"
KEEP_SECONDS = 7 * 24 * 60 * 60


@functools.cache
def _templates_digest() -> str:
    """The thread templates as they are in this release: a deploy that changes them makes
    every kept thread new, as a change to the thread itself would."""
    digest = hashlib.sha256()
    for name in (
        "documents/includes/thread.html",
        "documents/includes/reply.html",
        "documents/includes/proxy_note.html",
    ):
        template: Any = get_template(name)  # the stubs do not know a template's origin
        digest.update(Path(template.origin.name).read_bytes())
    return digest.hexdigest()


def _stamp(value: Any) -> str:
    return "" if value is None else value.isoformat()


def _entered_by(comment: Comment) -> tuple[int, str] | None:
    """Who entered a comment for its author, as shown: their id and the name they go by now."""
    if not comment.by_proxy or comment.entered_by is None:
        return None
    return (comment.entered_by.pk, comment.entered_by.display_name)


def signature(view: ThreadView, *, user_id: int, can_respond: bool, page: dict[str, str]) -> str:
    """Everything the thread template reads, as one hash."""
    thread = view.thread
    response = view.response
    parts: list[Any] = [
        _templates_digest(),
        translation.get_language(),
        user_id,
        can_respond,
        sorted(page.items()),
        thread.pk,
        thread.author_id,
        thread.author.display_name,
        _entered_by(thread),
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
                _entered_by(reply),
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


def rendered_all(keys: list[str], render: Callable[[int], str]) -> list[str]:
    """The HTML for each signature in ``keys``, rendering (by position) only those not kept."""
    prefixed = [_PREFIX + key for key in keys]
    kept = cache.get_many(prefixed)
    out: list[str] = []
    new: dict[str, str] = {}
    for index, key in enumerate(prefixed):
        html = kept.get(key)
        if html is None:
            html = new[key] = render(index)
        out.append(html)
    if new:
        cache.set_many(new, KEEP_SECONDS)
    return out
