"""Pages of the base that read no app: the health checks for load balancers and monitors,
keeping a session alive, what a form sent from a stale page gets, and the error page."""

from __future__ import annotations

import sys

import kombu.exceptions
import redis
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import Resolver404, resolve
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.health import health_report
from portal.http import STALE_PAGE, form_fields, keep_form, same_origin

# The database, the cache or the broker is out of reach: a plain "try again", not an error.
OUTAGES = (
    OperationalError,
    InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
    kombu.exceptions.OperationalError,
)


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The web process answers: no service is checked (for a liveness probe)."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Each part "ok" or "failing", and 503 when any fails; nothing else is revealed."""
    report = health_report()
    healthy = all(report.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "failing",
            "checks": {name: "ok" if ok else "failing" for name, ok in report.items()},
        },
        status=200 if healthy else 503,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's last resort for an uncaught exception (handler500).

    A lost database, cache or broker is a 503 with a page that says to try again; anything
    else is the plain 500 page. Neither reads the database or the session, which may be the
    part that is gone.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OUTAGES):
        path = request.get_full_path()
        # Only a path on this site: "//host" would be a link to another one.
        again = path if path.startswith("/") and not path.startswith("//") else "/"
        page = loader.get_template("503.html").render({"path": again})
        response = HttpResponse(page, status=503)
        response["Retry-After"] = "60"
        return response
    return HttpResponse(loader.get_template("500.html").render(), status=500)


@require_POST
def session_extend(request: HttpRequest) -> HttpResponse:
    """“Stay logged in”: the session starts its time again; says how long it now has."""
    if not request.user.is_authenticated:
        return JsonResponse({"logged_in": False}, status=401)
    request.session.modified = True
    return JsonResponse({"logged_in": True, "seconds_left": request.session.get_expiry_age()})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from a page whose security token no longer works (open for a day, say).

    For the portal's forms (the POST-only views that keep what was typed), the words are kept
    and the person goes back to the page with the form, where they are put back in the box,
    with a plain message. Anything else gets a plain page, never Django's technical one. What
    is kept comes only from this site's own pages: a form posted from elsewhere keeps nothing.
    """
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    fields = form_fields(match.func) if match is not None else None
    if request.method == "POST" and fields is not None and same_origin(request):
        keep_form(request, fields, STALE_PAGE)
        # The same address, asked for with GET, is the page that holds the form.
        return redirect(request.path)
    return render(request, "403_csrf.html", status=403)
