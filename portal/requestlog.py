"""Every log line names the request it belongs to.

A request gets an id (the proxy's ``X-Request-ID`` when it is a plain token, else a new one),
sent back in the response's ``X-Request-ID`` and put on every log record made while it is
served, and on the tasks it queues, so that a worker's lines carry the id of the request
that asked for the work. ``LOG_FORMAT=json`` writes each record as one JSON object.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_current: ContextVar[str] = ContextVar("request_id", default="-")
# A proxy's id is taken only when it is short and plain, so a log line cannot be forged.
_PLAIN = re.compile(r"[A-Za-z0-9._-]{8,64}")


def current() -> str:
    """The id of the request (or task) being served here, or "-" outside one."""
    return _current.get()


def use(request_id: str | None) -> Any:
    """Make ``request_id`` (or a new one) current; returns the token to put the old one back."""
    value = request_id if request_id and _PLAIN.fullmatch(request_id) else uuid.uuid4().hex
    return _current.set(value)


def forget(token: Any) -> None:
    _current.reset(token)


class RequestIdMiddleware:
    """Gives each request its id, first of all, so every line logged while serving it has it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = use(request.headers.get(HEADER))
        try:
            response = self.get_response(request)
            response[HEADER] = current()
            return response
        finally:
            forget(token)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record, for the formatters to show."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current()
        return True
