"""Help pages, one per role: what the portal does, how to comment, and who to contact."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from engagement.models import Membership
from portal.permissions import Role


def coordinators_for(request: HttpRequest) -> QuerySet[Membership] | list[Membership]:
    """The current coordinators of the visitor's studies, for "who to contact"."""
    if not request.user.is_authenticated:
        return []
    studies = Membership.objects.filter(user=request.user, left_on__isnull=True).values("study_id")
    return (
        Membership.objects.filter(study_id__in=studies, role=Role.COORDINATOR, left_on__isnull=True)
        .exclude(user=request.user)
        .select_related("user", "study")
        .order_by("study__title", "study_id", "user__display_name")
    )


def _help(request: HttpRequest, role: str) -> HttpResponse:
    return render(
        request,
        f"home/help/{role}.html",
        {
            "help_role": role,
            "coordinators": list(coordinators_for(request)),
        },
    )


@require_http_methods(["GET"])
def help_partner(request: HttpRequest) -> HttpResponse:
    return _help(request, "partner")


@require_http_methods(["GET"])
def help_researcher(request: HttpRequest) -> HttpResponse:
    return _help(request, "researcher")


@require_http_methods(["GET"])
def help_coordinator(request: HttpRequest) -> HttpResponse:
    return _help(request, "coordinator")
