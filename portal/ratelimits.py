"""Limits on what is costly to do, counted per person in the shared cache (Redis in
production, so that every web process counts together)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage

from portal.env import RATE_PATTERN

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Limit:
    group: str
    setting: str  # the name of the setting that holds the rate, e.g. "30/h"
    title: str | Promise
    # With the rate's count and period, and when the person can go on.
    message: str | Promise


UPLOADS = Limit(
    group="uploads",
    setting="UPLOAD_RATE",
    title=_("Too many uploads for now"),
    message=_(
        "You have uploaded %(count)s files in %(period)s, the most the portal takes from one "
        "person, so this one was not taken and nothing was saved. You can upload again "
        "%(wait)s."
    ),
)
EXPORTS = Limit(
    group="exports",
    setting="EXPORT_RATE",
    title=_("Too many downloads for now"),
    message=_(
        "You have asked for %(count)s downloads in %(period)s, the most the portal makes for "
        "one person, so this one was not made. You can ask again %(wait)s."
    ),
)


def rate_seconds(rate: str) -> tuple[int, int]:
    """How many in how many seconds, from a rate such as "30/h" or "10/5m"."""
    match = RATE_PATTERN.fullmatch(rate)
    if match is None:
        raise ValueError(f"{rate!r} is not a rate such as 30/h or 10/m.")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNITS[unit]


def _period(seconds: int) -> str:
    if seconds == 86400:
        return str(_("a day"))
    if seconds == 3600:
        return str(_("an hour"))
    if seconds == 60:
        return str(_("a minute"))
    if seconds % 3600 == 0:
        n = seconds // 3600
        return ngettext("%(n)s hour", "%(n)s hours", n) % {"n": n}
    if seconds % 60 == 0:
        n = seconds // 60
        return ngettext("%(n)s minute", "%(n)s minutes", n) % {"n": n}
    return ngettext("%(n)s second", "%(n)s seconds", seconds) % {"n": seconds}


def wait_in_words(seconds: int) -> str:
    if seconds < 90:
        return str(_("in a minute or so"))
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return ngettext("in about %(n)s minute", "in about %(n)s minutes", minutes) % {"n": minutes}
    hours = math.ceil(minutes / 60)
    return ngettext("in about %(n)s hour", "in about %(n)s hours", hours) % {"n": hours}


def limit_reached(request: HttpRequest, limit: Limit) -> HttpResponse | None:
    """Count this request against the person's limit; once it is reached, the page that says
    so (429), with when they can go on. Nobody logged in is not counted: the view sends them
    to log in."""
    if not request.user.is_authenticated:
        return None
    rate = str(getattr(settings, limit.setting))
    usage = get_usage(request, group=limit.group, key="user", rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    count, seconds = rate_seconds(rate)
    time_left = max(int(usage["time_left"]), 1)
    response = render(
        request,
        "limit_reached.html",
        {
            "title": limit.title,
            "message": limit.message
            % {"count": count, "period": _period(seconds), "wait": wait_in_words(time_left)},
            "back": request.path,
        },
        status=429,
    )
    response["Retry-After"] = str(time_left)
    return response


View = Callable[..., HttpResponseBase]


def counts_towards(limit: Limit) -> Callable[[View], View]:
    """Each form sent (POST) to the view counts towards the person's limit; once it is
    reached, the form is not read and the person is told when they can send it again."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method == "POST":
                refused = limit_reached(request, limit)
                if refused is not None:
                    return refused
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
