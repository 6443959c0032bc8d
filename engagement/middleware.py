from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from engagement.two_factor import two_factor_required_clause
from portal.accounts.models import User

# Pages a coordinator may use before setting up two-factor: the account pages
# (where it is set up, and logging out), static files, invitation links and the help pages.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/invitations/", "/help/")


class CoordinatorTwoFactorMiddleware:
    """Send a coordinator or site admin without an authenticator app to set one up first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.COORDINATOR_MFA_REQUIRED
            and request.user.is_authenticated
            and not request.path_info.startswith(_OPEN_PREFIXES)
            and self._needs_setup(request.user.pk)
        ):
            if request.method == "GET" and not request.headers.get("HX-Request"):
                messages.warning(
                    request,
                    _(
                        "Coordinators and site admins see partners' personal details, so "
                        "your account needs two-factor authentication. Set up an "
                        "authenticator app to continue."
                    ),
                )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _needs_setup(user_id: int) -> bool:
        has_totp = Exists(
            Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        )
        return (
            User.objects.filter(pk=user_id)
            .filter(two_factor_required_clause())
            .filter(~has_totp)
            .exists()
        )
