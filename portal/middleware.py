from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

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


class PrivatePagesMiddleware:
    """Pages shown to someone logged in are not kept by the browser.

    They hold people's health, access needs and payments: on a shared computer, Back after
    logging out must not show them again, and Back after sending a comment shows the page as
    it is now rather than the form as it was. A response that says how it may be kept (a
    picture of a document, kept a year) keeps its own word, so logging out asks the browser
    to empty its cache of the site.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        was_logged_in = request.user.is_authenticated
        response = self.get_response(request)
        if request.user.is_authenticated:
            if not response.has_header("Cache-Control"):
                patch_cache_control(response, private=True, no_store=True)
        elif was_logged_in:
            response["Clear-Site-Data"] = '"cache"'
            patch_cache_control(response, private=True, no_store=True)
        return response
