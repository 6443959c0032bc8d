"""The Jinja2 environment, for the few fragments a page renders many times over (a thread of
comments, say), where Django's template language costs more than the rest of the page.

Its filters are Django's own, so a date or a paragraph break reads the same whichever
language rendered it. Everything else, and every whole page, is a Django template.
"""

from __future__ import annotations

from typing import Any

from django.template import defaultfilters
from jinja2 import Environment, StrictUndefined


def environment(**options: Any) -> Environment:
    options.pop("autoescape", None)  # always on, whatever the settings say
    # A misspelt name fails loudly in the tests rather than rendering as nothing.
    options.update(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env = Environment(autoescape=True, **options)
    env.filters.update(
        date=defaultfilters.date,
        linebreaks=defaultfilters.linebreaks_filter,
        truncatechars=defaultfilters.truncatechars,
    )
    return env
