"""The one place where a request is checked against study membership and role.

Every view that shows or changes anything inside a study goes through
``study_view``. A person who is not a current member of the study gets 404, so
a study's existence is not revealed; a member whose role does not allow the
action gets 403. Objects inside a study (contributions, expenses, rates, partners)
are fetched here too, only through the study the check allowed, with the
per-object rules of who may see or change them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from engagement.models import (
    Contribution,
    ContributionState,
    ExpenseLine,
    Membership,
    PaymentRate,
    Study,
)
from portal.accounts.models import User
from portal.http import (
    LOGGED_OUT,
    AuthenticatedHttpRequest,
    KeptForm,
    form_fields,
    keep_form,
    take_kept_form,
)
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


def study_access(request: AuthenticatedHttpRequest, study_id: int, action: Action) -> StudyAccess:
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
    [Callable[Concatenate[AuthenticatedHttpRequest, StudyAccess, P], HttpResponseBase]],
    Callable[..., HttpResponseBase],
]:
    """Guard a view whose URL carries ``study_id``; the view receives the access."""

    def decorator(
        view: Callable[Concatenate[AuthenticatedHttpRequest, StudyAccess, P], HttpResponseBase],
    ) -> Callable[..., HttpResponseBase]:
        fields = form_fields(view)

        @login_required
        @functools.wraps(view)
        def guarded(
            request: AuthenticatedHttpRequest, study_id: int, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            # Taken before the checks, so that words kept for a place the person may not
            # reach are dropped, not left waiting.
            kept = take_kept_form(request) if request.method in ("GET", "HEAD") else None
            access = study_access(request, study_id, action)
            request.kept_form = kept  # type: ignore[attr-defined]
            return view(request, access, *args, **kwargs)

        @functools.wraps(view)
        def wrapped(request: HttpRequest, study_id: int, *args: Any, **kwargs: Any) -> Any:
            if (
                fields is not None
                and request.method == "POST"
                and not request.user.is_authenticated
            ):
                # The session ran out while the form was open: keep what was typed for after
                # logging in, which brings the person back to this address.
                keep_form(request, fields, LOGGED_OUT)
                # Said on the login page, so the person knows why they are asked again.
                messages.info(
                    request,
                    _(
                        "You were logged out because the page was open for a long time. Log "
                        "in again: what you typed is kept and will be back in its box."
                    ),
                )
            return guarded(request, study_id, *args, **kwargs)  # type: ignore[arg-type]

        wrapped.study_action = action  # type: ignore[attr-defined]
        return wrapped

    return decorator


FormPage = Callable[..., str]


def keeps(
    *fields: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """A page that shows its own form on GET: what was typed when the form could not be taken
    (the session had run out, the page was stale) comes back in these fields, as ``initial``
    from ``kept_initial``, after logging in."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        view.kept_fields = fields  # type: ignore[attr-defined]
        return view

    return decorator


def kept_initial(request: HttpRequest) -> dict[str, str] | None:
    """The fields kept for this page (see ``keeps``), saying so to the person; None: nothing."""
    kept: KeptForm | None = getattr(request, "kept_form", None)
    if kept is None or not kept.fields:
        return None
    messages.info(
        request,
        _(
            "You were logged out before this was sent. Nothing is lost: what you typed is back "
            "in the form. Press the button again."
        ),
    )
    return dict(kept.fields)


def post_only(
    form_page: FormPage, keep: tuple[str, ...] | None = ()
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """A view that takes POST; a GET goes to the page that holds its form instead of a 405.

    Used under ``study_view``, so a GET is checked for membership and role first.
    ``form_page(request, access, kept, **url_kwargs)`` looks up the view's objects through
    the access (another study's object is a 404) and returns the address to go to; ``kept``
    is what was typed when the form could not be taken (the session had run out or the page
    was stale), with the ``keep`` fields, for the page to put back. ``keep=None``: the view
    is not a form people fill in (an autosave), so nothing is kept.
    """

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapped(
            request: HttpRequest, access: StudyAccess, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if request.method == "POST":
                return view(request, access, *args, **kwargs)
            if request.method in ("GET", "HEAD"):
                kept: KeptForm | None = getattr(request, "kept_form", None)
                return redirect(form_page(request, access, kept, *args, **kwargs))
            return HttpResponseNotAllowed(["POST"])

        wrapped.kept_fields = keep  # type: ignore[attr-defined]
        return wrapped

    return decorator


def not_done(request: HttpRequest, kept: KeptForm | None) -> None:
    """Tell someone sent back from a button that could not be taken that nothing happened."""
    if kept is None:
        return
    if kept.why == LOGGED_OUT:
        text = _("You were logged out, so that was not done yet. Please press the button again.")
    else:
        text = _(
            "This page had been open for a long time, so that was not done yet. Please press "
            "the button again."
        )
    messages.info(request, text)


# --- objects inside a study ---------------------------------------------------------------


def contribution_in(access: StudyAccess, contribution_id: int) -> Contribution:
    """A contribution of this study: a partner sees only their own, the team sees all."""
    contribution = get_object_or_404(
        Contribution.objects.select_related("partner", "stage", "entered_by", "decided_by"),
        pk=contribution_id,
        study=access.study,
    )
    viewer = access.membership.user_id
    own = contribution.partner_id == viewer
    if not own and not access.may(Action.VIEW_STUDY_INVOLVEMENT):
        raise Http404("No such contribution.")
    # A draft is the partner's own until they submit it, unless the viewer entered it for them.
    if (
        not own
        and contribution.state == ContributionState.DRAFT
        and contribution.entered_by_id != viewer
    ):
        raise Http404("No such contribution.")
    return contribution


def sees_money(access: StudyAccess, contribution: Contribution) -> bool:
    """Payments, expenses and receipts: the partner themself and those who pay."""
    return contribution.partner_id == access.membership.user_id or access.may(
        Action.MANAGE_PAYMENTS
    )


def is_mine(access: StudyAccess, contribution: Contribution) -> bool:
    """The partner's own, or one the viewer entered for them."""
    return access.membership.user_id in {contribution.partner_id, contribution.entered_by_id}


def require_mine(access: StudyAccess, contribution: Contribution) -> None:
    """Only the partner, or the coordinator who entered it for them, changes a contribution.

    Another coordinator returns it with a reason instead: whoever approves a payment must not
    also have set what it is for.
    """
    if not is_mine(access, contribution):
        raise PermissionDenied(
            _(
                "Only the partner, or whoever entered it for them, can change this. Return it "
                "with a reason instead."
            )
        )


def may_change(access: StudyAccess, contribution: Contribution) -> bool:
    """The partner or the coordinator who entered it, while it is not approved."""
    return (
        access.may(Action.RECORD_CONTRIBUTION)
        and is_mine(access, contribution)
        and not contribution.is_locked
    )


def expense_in(access: StudyAccess, contribution: Contribution, expense_id: int) -> ExpenseLine:
    return get_object_or_404(ExpenseLine, pk=expense_id, contribution=contribution)


def rate_in(access: StudyAccess, rate_id: int) -> PaymentRate:
    return get_object_or_404(PaymentRate, pk=rate_id, policy__study=access.study)


def partner_in(access: StudyAccess, user_id: int) -> User:
    """A partner of this study, current or past; anyone else is a 404."""
    partner = User.objects.filter(
        pk=user_id, memberships__study=access.study, memberships__role=Role.PARTNER
    ).first()
    if partner is None:
        raise Http404("No such partner in this study.")
    return partner
