"""The request a view behind ``login_required`` sees, for type annotations."""

from __future__ import annotations

import ipaddress

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
