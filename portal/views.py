from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from engagement.selectors import can_create_studies, current_memberships
from portal.permissions import Role, team_roles


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    memberships = list(current_memberships(request.user))
    return render(
        request,
        "dashboard.html",
        {
            "partner_memberships": [m for m in memberships if m.role == Role.PARTNER],
            "team_memberships": [m for m in memberships if m.role in team_roles()],
            "can_create_studies": can_create_studies(request.user),
        },
    )


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
