"""The coordinator's approval queue, returning with a reason, and a contribution's history."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from engagement.access import StudyAccess, contribution_in, not_done, post_only, study_view
from engagement.involvement.audit import contribution_events
from engagement.involvement.forms import ReturnForm
from engagement.involvement.selectors import (
    contributions_chosen,
    contributions_waiting,
    current_coordinators,
)
from engagement.involvement.services.contributions import (
    contribution_approve,
    contribution_return,
    contributions_approve_many,
    decision_refusal,
    who_may_decide,
)
from engagement.involvement.wording import describe, who_approves
from engagement.models import Contribution, ContributionState
from portal.formatting import duration, money
from portal.http import AuthenticatedHttpRequest, KeptForm
from portal.ids import ids_from
from portal.permissions import Action
from portal.rules import RuleBroken

# --- the queue ----------------------------------------------------------------------------


def waiting(access: StudyAccess) -> list[Contribution]:
    rows = contributions_waiting(access.study)
    coordinators = current_coordinators(access.study)
    viewer = access.membership.user_id
    for row in rows:
        row.duration = duration(row.minutes)  # type: ignore[attr-defined]
        row.is_own = row.partner_id == viewer  # type: ignore[attr-defined]
        # No Approve button that cannot work: say who can approve it instead.
        row.may_decide = decision_refusal(row, viewer) is None  # type: ignore[attr-defined]
        row.who_approves = (  # type: ignore[attr-defined]
            "" if row.may_decide else who_approves(who_may_decide(row, coordinators))  # type: ignore[attr-defined]
        )
    return rows


def chosen_ids(request: HttpRequest) -> list[int] | None:
    """The contributions ticked in a form's "contribution" boxes; None when one of the values
    sent is not an id at all (the form was tampered with), so nothing is done with any."""
    return ids_from(request.POST.getlist("contribution"))


def not_read(request: HttpRequest) -> None:
    messages.error(
        request,
        _(
            "Something sent with the form was not one of the listed contributions, so nothing "
            "was done. Tick them again and press the button."
        ),
    )


@study_view(Action.APPROVE_CONTRIBUTIONS)
@require_http_methods(["GET", "POST"])
def approval_queue(request: AuthenticatedHttpRequest, access: StudyAccess) -> HttpResponse:
    if request.method == "POST":
        ids = chosen_ids(request)
        if ids is None:
            not_read(request)
            return redirect("approval_queue", study_id=access.study.pk)
        chosen = contributions_chosen(access.study, ids)
        if not chosen:
            messages.error(request, _("Choose at least one contribution to approve."))
            return redirect("approval_queue", study_id=access.study.pk)
        approved, refused = contributions_approve_many(contributions=chosen, by=request.user)
        if approved:
            messages.success(
                request,
                ngettext(
                    "Approved: %(list)s.", "Approved %(n)s contributions: %(list)s.", len(approved)
                )
                % {"n": len(approved), "list": "; ".join(describe(c) for c in approved)},
            )
        for contribution, reason in refused:
            messages.error(
                request,
                _("Not approved: %(what)s. %(reason)s")
                % {"what": describe(contribution), "reason": reason},
            )
        return redirect("approval_queue", study_id=access.study.pk)
    rows = waiting(access)
    return render(
        request,
        "engagement/payments/approval_queue.html",
        {
            "study": access.study,
            "contributions": rows,
            "decidable": any(row.may_decide for row in rows),  # type: ignore[attr-defined]
        },
    )


def _contribution_page(
    request: HttpRequest, access: StudyAccess, kept: KeptForm | None, contribution_id: int
) -> str:
    """The contribution's page, which holds its buttons."""
    contribution = contribution_in(access, contribution_id)
    not_done(request, kept)
    return reverse("contribution_detail", args=[access.study.pk, contribution.pk])


@study_view(Action.APPROVE_CONTRIBUTIONS)
@post_only(_contribution_page)
def contribution_approve_view(
    request: AuthenticatedHttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    try:
        contribution = contribution_approve(contribution=contribution, by=request.user)
    except RuleBroken as refusal:
        messages.error(
            request,
            _("Not approved: %(what)s. %(reason)s")
            % {"what": describe(contribution), "reason": refusal},
        )
    else:
        messages.success(
            request,
            _("Approved: %(what)s. Payment due: %(due)s.")
            % {"what": describe(contribution), "due": money(contribution.payment_due)},
        )
    return redirect("approval_queue", study_id=access.study.pk)


@study_view(Action.APPROVE_CONTRIBUTIONS)
@require_http_methods(["GET", "POST"])
def contribution_return_view(
    request: AuthenticatedHttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    form = ReturnForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            contribution_return(
                contribution=contribution, by=request.user, reason=form.cleaned_data["reason"]
            )
        except RuleBroken as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                _("Returned to %(partner)s with your reason: %(what)s.")
                % {"partner": contribution.partner.display_name, "what": describe(contribution)},
            )
            return redirect("approval_queue", study_id=access.study.pk)
    return render(
        request,
        "engagement/payments/contribution_return.html",
        {
            "study": access.study,
            "contribution": contribution,
            "duration": duration(contribution.minutes),
            "form": form,
            "can_return": contribution.state == ContributionState.SUBMITTED,
        },
    )


@study_view(Action.APPROVE_CONTRIBUTIONS)
@require_safe
def contribution_audit(
    request: HttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    return render(
        request,
        "engagement/payments/contribution_audit.html",
        {
            "study": access.study,
            "contribution": contribution,
            "duration": duration(contribution.minutes),
            "events": contribution_events(contribution),
        },
    )
