"""The request a view behind ``login_required`` sees, for type annotations."""

from __future__ import annotations

import ipaddress
import time
from urllib.parse import urlsplit

from django.http import HttpRequest

from portal.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """An ``HttpRequest`` whose user has logged in: a ``User``, never ``AnonymousUser``.

    Only views that ``login_required`` (or ``study_view``) guards are annotated with it; Django
    still passes them a plain ``HttpRequest``.
    """

    user: User


def client_ip(request: HttpRequest) -> str:
    """The visitor's address, for rate limits.

    Behind the site's own proxy (``BEHIND_PROXY``) it is the last address in
    X-Forwarded-For, the one the proxy added; earlier ones are whatever the client sent.
    """
    from django.conf import settings

    if settings.BEHIND_PROXY:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        last = forwarded.rsplit(",", 1)[-1].strip()
        if _is_address(last):
            return last
    remote = str(request.META.get("REMOTE_ADDR") or "")
    return remote if _is_address(remote) else "0.0.0.0"  # noqa: S104 - a key, not a bind


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# --- a form sent when it could not be taken -------------------------------------------------

# What was typed into a form whose sending failed (the session had run out, or the page was
# open so long that its security token went stale) is kept in the session, which survives
# logging in, until the page that holds the form takes it back.
KEPT_FORM_SESSION_KEY = "portal_kept_form"
# Long enough to log in (and look up a password), short enough that someone else logging in
# later on a shared computer is not handed the words.
KEPT_FORM_SECONDS = 30 * 60
_KEPT_FIELD_CHARS = {"selectors": 25_000, "quote": 2_000}
_KEPT_DEFAULT_CHARS = 10_000

LOGGED_OUT = "logged-out"
STALE_PAGE = "stale-page"


class KeptForm:
    """The fields kept from one refused form, and why it was refused."""

    def __init__(self, fields: dict[str, str], why: str) -> None:
        self.fields = fields
        self.why = why

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


def form_fields(view: object) -> tuple[str, ...] | None:
    """The fields a POST-only view keeps when its form could not be taken; None: not a form."""
    fields = getattr(view, "kept_fields", None)
    return tuple(fields) if fields is not None else None


def keep_form(request: HttpRequest, fields: tuple[str, ...], why: str) -> None:
    """Keep the named fields of this POST for the page at the same address, capped in size."""
    kept = {
        name: str(request.POST.get(name, ""))[: _KEPT_FIELD_CHARS.get(name, _KEPT_DEFAULT_CHARS)]
        for name in fields
        if name in request.POST
    }
    request.session[KEPT_FORM_SESSION_KEY] = {
        "path": request.path,
        "fields": kept,
        "why": why,
        "at": int(time.time()),
    }


def take_kept_form(request: HttpRequest) -> KeptForm | None:
    """What was kept for this address, removed from the session whatever happens next."""
    stored = request.session.get(KEPT_FORM_SESSION_KEY)
    if not isinstance(stored, dict) or stored.get("path") != request.path:
        return None
    del request.session[KEPT_FORM_SESSION_KEY]
    at = stored.get("at")
    if not isinstance(at, int) or time.time() - at > KEPT_FORM_SECONDS:
        return None
    fields = stored.get("fields")
    if not isinstance(fields, dict):
        return None
    return KeptForm(
        {str(name): str(value) for name, value in fields.items()},
        str(stored.get("why", LOGGED_OUT)),
    )


def same_origin(request: HttpRequest) -> bool:
    """The POST came from a page of this site (Origin, or Referer when there is no Origin)."""
    from django.conf import settings

    here = f"{request.scheme}://{request.get_host()}"
    origin = request.META.get("HTTP_ORIGIN")
    if origin:
        return origin == here or origin in settings.CSRF_TRUSTED_ORIGINS
    referer = str(request.META.get("HTTP_REFERER", ""))
    if not referer:
        return False
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}" == here
