"""The dashboard: what each person has to do across their studies."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from engagement.selectors import can_create_studies, current_memberships
from portal.home.dashboard import (
    answers_to_read,
    attention,
    contributions_not_sent,
    reviews_waiting,
)
from portal.http import AuthenticatedHttpRequest
from portal.permissions import Role, team_roles


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = list(current_memberships(request.user))
    partner_memberships = [m for m in memberships if m.role == Role.PARTNER]
    team_memberships = [m for m in memberships if m.role in team_roles()]
    needs = attention(team_memberships)
    for item in needs:
        item.membership.comments_to_answer = item.comments_open  # type: ignore[attr-defined]
    return render(
        request,
        "dashboard.html",
        {
            "partner_memberships": partner_memberships,
            "team_memberships": team_memberships,
            "attention": [item for item in needs if item.needs_attention],
            "reviews": list(reviews_waiting(request.user)) if partner_memberships else [],
            "answers": answers_to_read(request.user) if memberships else [],
            "not_sent": contributions_not_sent(request.user) if partner_memberships else [],
            "can_create_studies": can_create_studies(request.user),
        },
    )
