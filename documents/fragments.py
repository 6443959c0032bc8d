"""Rendered threads, kept so that a page reload need not read or render them again.

A thread's HTML depends on what the thread shows, which its document's ``threads_stamp``
stands for (the database renews it whenever any of that changes, see ``documents.stamps``),
and on what its readers share: what they may see and do, the part of the document shown, the
page's addresses and wording. The key is a hash of all of them, so a change simply has a new
key and an old entry is never shown; a page whose threads are all kept reads none from the
database. One rendering serves every reader alike: what is one reader's (the Edit and
Withdraw of their own comments, "Entered for you", their unsent reply) is written for
everyone between markers and chosen per request (``for_reader``), as the per-request values
(the CSRF token, the page's own address) are put in for placeholders.

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
from markupsafe import Markup

# Placeholders and markers are HTML comments, written in as Markup: a value written into a
# thread is escaped ("<" becomes "&lt;"), so no text can make one.
CSRF_PLACEHOLDER = Markup("<!--csrf-->")
# The page's own address (where a button's form returns to), also put in per request, so
# that one thread's HTML serves every address the page is reached by.
PATH_PLACEHOLDER = Markup("<!--path-->")
# Where the page's one reply form goes, in the thread being answered; removed from the others.
REPLY_PLACEHOLDER = Markup("<!--reply-->")
_PREFIX = "thread-html:"
# Raise when what a rendering depends on outside its template changes (the wording in
# ``documents.wording``, the markers ``for_reader`` reads, the filters in ``portal.jinja``),
# as a change to the template itself makes every kept thread new.
RENDERING_REVISION = 2
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


def thread_key(
    *,
    version_id: int,
    stamp: str,
    audience: str,
    can_respond: bool,
    page: dict[str, str],
    thread_id: int,
    carried: bool,
    marked: bool,
    section: int,
) -> str:
    """Everything a thread's HTML depends on, as one hash: ``stamp`` for the thread itself
    (its comment, replies, answer, placement and writers' names), the rest for the readers
    it is shown to. Nothing of one reader: see ``for_reader``."""
    parts: list[Any] = [
        RENDERING_REVISION,
        _templates_digest(),
        translation.get_language(),
        version_id,
        stamp,
        audience,
        can_respond,
        sorted(page.items()),
        thread_id,
        carried,
        marked,
        section,
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def mine(author_id: int) -> Markup:
    """Opens what only ``author_id`` sees (their Edit and Withdraw, say); ``OTHERWISE``
    opens what everyone else sees instead, and ``END_MINE`` ends both."""
    return Markup(f"<!--mine:{int(author_id)}-->")  # noqa: S704 - a number in our marker


def drafted(thread_id: int) -> Markup:
    """Opens what a reader with an unsent reply to the thread sees ("Continue your unsent
    reply"), then ``OTHERWISE`` what the others see, then ``END_DRAFTED``."""
    return Markup(f"<!--draft:{int(thread_id)}-->")  # noqa: S704 - a number in our marker


OTHERWISE = Markup("<!--else-->")
END_MINE = Markup("<!--/mine-->")
END_DRAFTED = Markup("<!--/draft-->")


def for_reader(html: str, user_id: int, drafts: set[int]) -> str:
    """A kept thread as one reader sees it: their own actions, their unsent reply.

    The markers are HTML comments, which nothing else in a thread holds: the template writes
    none, and an escaped value cannot (see the placeholders)."""
    if "<!--" not in html:
        return html
    pieces = html.split("<!--")
    out = [pieces[0]]
    shown = [True]  # whether each open part, and what holds it, is shown
    for piece in pieces[1:]:
        marker, _end, text = piece.partition("-->")
        kind, _colon, number = marker.partition(":")
        if kind in ("mine", "draft") and number.isdigit():
            theirs = int(number) == user_id if kind == "mine" else int(number) in drafts
            shown.append(shown[-1] and theirs)
        elif marker == "else" and len(shown) > 1:
            shown[-1] = shown[-2] and not shown[-1]
        elif marker in ("/mine", "/draft") and len(shown) > 1:
            shown.pop()
        elif shown[-1]:
            out.append(f"<!--{marker}-->")  # another placeholder: left for the caller
        if shown[-1]:
            out.append(text)
    return "".join(out)


def kept_threads(keys: list[str]) -> dict[str, str]:
    """The kept HTML of those threads that are kept, by key: one round trip."""
    kept = cache.get_many([_PREFIX + key for key in keys])
    return {key.removeprefix(_PREFIX): html for key, html in kept.items()}


def keep_threads(rendered: dict[str, str]) -> None:
    if rendered:
        cache.set_many({_PREFIX + key: html for key, html in rendered.items()}, KEEP_SECONDS)
