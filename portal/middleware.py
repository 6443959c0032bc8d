from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Room for the form's other fields beside the largest file accepted.
_FORM_MARGIN = 1024 * 1024


class RequestSizeLimitMiddleware:
    """Refuse an oversized upload before anything reads it into memory or onto disk.

    It must come before the CSRF middleware, which parses the body of every POST.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DOCUMENT_MAX_BYTES + _FORM_MARGIN
        if length > limit:
            return render(
                request,
                "413.html",
                {"limit_mb": settings.DOCUMENT_MAX_BYTES // (1024 * 1024)},
                status=413,
            )
        return self.get_response(request)
