"""The Jinja2 environment, for the few fragments a page renders many times over (a thread of
comments, say), where Django's template language costs more than the rest of the page.

Its filters are Django's own, so a date or a paragraph break reads the same whichever
language rendered it. Everything else, and every whole page, is a Django template.
"""

from __future__ import annotations

from typing import Any

from django.template import defaultfilters
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup


def _no_markers(value: Any) -> Any:
    """A value as written into a fragment, without NUL characters: fragments mark the parts
    they fill in per request with them (``documents.fragments``), and no text may forge one.
    The template's own markers are ``Markup``, and kept."""
    if isinstance(value, str) and not isinstance(value, Markup) and "\x00" in value:
        return value.replace("\x00", "")
    return value


def environment(**options: Any) -> Environment:
    options.pop("autoescape", None)  # always on, whatever the settings say
    # A misspelt name fails loudly in the tests rather than rendering as nothing.
    options.update(
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, finalize=_no_markers
    )
    env = Environment(autoescape=True, **options)
    env.filters.update(
        date=defaultfilters.date,
        linebreaks=defaultfilters.linebreaks_filter,
        truncatechars=defaultfilters.truncatechars,
    )
    return env
