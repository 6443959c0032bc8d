"""Pages of the base that read no app: the health check for load balancers, keeping a
session alive, and what a form sent from a stale page gets."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_POST

from portal.http import STALE_PAGE, form_fields, keep_form, same_origin


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


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
