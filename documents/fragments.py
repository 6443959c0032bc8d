"""Rendered threads, kept so that a page reload need not read or render them again.

A thread's HTML depends on what the thread shows, which its document's ``threads_stamp``
stands for (the database renews it whenever any of that changes, see ``documents.stamps``),
and on what the reader brings: who they are, what they may do, their unsent reply, the part
of the document shown, the page's addresses and wording. The key is a hash of all of them, so
a change simply has a new key and an old entry is never shown; a page whose threads are all
kept reads none from the database. The per-request values (the CSRF token, the page's own
address) are left as placeholders.

They are kept in Django's cache (Redis in production, so every web process shares them and
none can hold one the others have not; local memory under ``make run``), a page's threads
read and written in one round trip each. Entries are only ever added, never changed, so
processes need no coordination; old ones expire or are evicted.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.template import engines
from django.utils import translation

from documents.models import CommentDraft

CSRF_PLACEHOLDER = "\x00csrf\x00"
# The page's own address (where a button's form returns to), also put in per request, so
# that one thread's HTML serves every address the page is reached by.
PATH_PLACEHOLDER = "\x00path\x00"
# Where the page's one reply form goes, in the thread being answered; removed from the others.
REPLY_PLACEHOLDER = "\x00reply\x00"
_PREFIX = "thread-html:"
KEEP_SECONDS = 7 * 24 * 60 * 60


THREAD_TEMPLATE = "documents/includes/thread.jinja"


def thread_template() -> Any:
    """The thread's template (Jinja2: see portal/jinja.py)."""
    return engines["jinja2"].get_template(THREAD_TEMPLATE)


@functools.cache
def _templates_digest() -> str:
    """The thread template as it is in this release: a deploy that changes it makes every
    kept thread new, as a change to the thread itself would."""
    return hashlib.sha256(Path(thread_template().template.filename).read_bytes()).hexdigest()


def _stamp(value: Any) -> str:
    return "" if value is None else value.isoformat()


def thread_key(
    *,
    version_id: int,
    stamp: str,
    audience: str,
    user_id: int,
    can_respond: bool,
    page: dict[str, str],
    thread_id: int,
    carried: bool,
    marked: bool,
    section: int,
    draft: CommentDraft | None,
) -> str:
    """Everything a thread's HTML depends on, as one hash: ``stamp`` for the thread itself
    (its comment, replies, answer, placement and writers' names), the rest for the reader."""
    parts: list[Any] = [
        _templates_digest(),
        translation.get_language(),
        version_id,
        stamp,
        audience,
        user_id,
        can_respond,
        sorted(page.items()),
        thread_id,
        carried,
        marked,
        section,
        None if draft is None else (draft.body, _stamp(draft.updated_at)),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def kept_threads(keys: list[str]) -> dict[str, str]:
    """The kept HTML of those threads that are kept, by key: one round trip."""
    kept = cache.get_many([_PREFIX + key for key in keys])
    return {key.removeprefix(_PREFIX): html for key, html in kept.items()}


def keep_threads(rendered: dict[str, str]) -> None:
    if rendered:
        cache.set_many({_PREFIX + key: html for key, html in rendered.items()}, KEEP_SECONDS)
