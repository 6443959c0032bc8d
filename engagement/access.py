"""The one place where a request is checked against study membership and role.

Every view that shows or changes anything inside a study goes through
``study_view``. A person who is not a current member of the study gets 404, so
a study's existence is not revealed; a member whose role does not allow the
action gets 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from engagement.models import Membership, Study
from portal.permissions import Action, Role, role_may, team_roles

P = ParamSpec("P")


@dataclass(frozen=True)
class StudyAccess:
    study: Study
    membership: Membership

    @property
    def role(self) -> Role:
        return Role(self.membership.role)

    @property
    def is_team(self) -> bool:
        return self.role in team_roles()

    def may(self, action: Action) -> bool:
        return role_may(self.role, action)


def study_access(request: HttpRequest, study_id: int, action: Action) -> StudyAccess:
    membership = (
        Membership.objects.select_related("study")
        .filter(study_id=study_id, user_id=request.user.pk, left_on__isnull=True)
        .first()
    )
    if membership is None:
        raise Http404("No such study.")
    access = StudyAccess(study=membership.study, membership=membership)
    if not access.may(action):
        raise PermissionDenied("Your role in this study does not allow this.")
    return access


def study_view(
    action: Action,
) -> Callable[
    [Callable[Concatenate[HttpRequest, StudyAccess, P], HttpResponse]],
    Callable[..., HttpResponse],
]:
    """Guard a view whose URL carries ``study_id``; the view receives the access."""

    def decorator(
        view: Callable[Concatenate[HttpRequest, StudyAccess, P], HttpResponse],
    ) -> Callable[..., HttpResponse]:
        @login_required
        @functools.wraps(view)
        def wrapped(request: HttpRequest, study_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
            access = study_access(request, study_id, action)
            return view(request, access, *args, **kwargs)

        wrapped.study_action = action  # type: ignore[attr-defined]
        return wrapped

    return decorator
