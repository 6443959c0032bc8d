"""The Jinja2 environment, for the few fragments a page renders many times over (a thread of
comments, say), where Django's template language costs more than the rest of the page.

Its filters are Django's own, so a date or a paragraph break reads the same whichever
language rendered it. Everything else, and every whole page, is a Django template.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.template import defaultfilters
from django.utils import dateformat, timezone, translation
from jinja2 import Environment, StrictUndefined

# Format characters that depend on the day alone (no time of day, no time zone).
_DAY_FORMAT = set("dDEFjlLmMnNoStwWyYz")


def date(value: Any, arg: str | None = None) -> str:
    """Django's ``date`` filter, in local time as Django's templates give it. A format that
    names only the day (``"j M Y"``) is made once per day and language: a page of comments
    shows the same few days many times."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if (
        isinstance(value, dt.date)
        and arg
        and "\\" not in arg
        and all(c in _DAY_FORMAT or not c.isalpha() for c in arg)
    ):
        day = value.date() if isinstance(value, dt.datetime) else value
        return _day(day, arg, translation.get_language())
    return str(defaultfilters.date(value, arg))


@functools.lru_cache(maxsize=1024)
def _day(day: dt.date, arg: str, language: str) -> str:
    return str(dateformat.format(day, arg))


def environment(**options: Any) -> Environment:
    options.pop("autoescape", None)  # always on, whatever the settings say
    # A misspelt name fails loudly in the tests rather than rendering as nothing.
    options.update(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env = Environment(autoescape=True, **options)
    env.filters.update(
        date=date,
        linebreaks=defaultfilters.linebreaks_filter,
        truncatechars=defaultfilters.truncatechars,
    )
    return env
