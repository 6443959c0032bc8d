"""Recording involvement: a partner's own timeline, contributions, what changed and expenses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from engagement.access import (
    StudyAccess,
    contribution_in,
    expense_in,
    may_change,
    not_done,
    post_only,
    require_mine,
    sees_money,
    study_view,
)
from engagement.involvement.exports import own_export
from engagement.involvement.forms import (
    ContributionForm,
    ExpenseForm,
    ImpactForm,
    InvolvementFilterForm,
)
from engagement.involvement.receipts import EXTENSIONS as RECEIPT_EXTENSIONS
from engagement.involvement.receipts import ReceiptRefused, download_name
from engagement.involvement.selectors import (
    current_coordinators,
    current_partners,
    involvement_group_totals,
    involvement_totals,
    own_contributions,
    own_filtered,
    own_involvement_scope,
    policy_for,
)
from engagement.involvement.sensitive import receipt_downloaded
from engagement.involvement.services.contributions import (
    contribution_record_impact,
    contribution_save,
    contribution_submit,
    decision_refusal,
    expense_add,
    expense_remove,
    who_may_decide,
)
from engagement.involvement.wording import standard_labels, who_approves
from engagement.models import ActivityType, Contribution, ContributionState
from portal.accounts.models import User
from portal.formatting import duration
from portal.http import AuthenticatedHttpRequest, KeptForm
from portal.permissions import Action, Role
from portal.ratelimits import EXPORTS, UPLOADS, counts_towards, limit_reached
from portal.rules import RuleBroken

PER_PAGE = 50
LOCKED_MESSAGE = gettext_lazy(
    "This contribution has been approved, so it can no longer be changed. "
    "You can still record what changed as a result."
)


# --- helpers -----------------------------------------------------------------------------


def _to_detail(access: StudyAccess, contribution: Contribution) -> HttpResponse:
    return redirect(
        "contribution_detail", study_id=access.study.pk, contribution_id=contribution.pk
    )


def _locked(request: HttpRequest, access: StudyAccess, contribution: Contribution) -> HttpResponse:
    messages.error(request, LOCKED_MESSAGE)
    return _to_detail(access, contribution)


def _context(access: StudyAccess, contribution: Contribution, **extra: Any) -> dict[str, Any]:
    return {"study": access.study, "access": access, "contribution": contribution, **extra}


# --- your involvement --------------------------------------------------------------------


def _export(queryset: QuerySet[Contribution], kind: str) -> HttpResponse:
    return own_export(queryset).download(
        file_format=kind, filename=f"your-involvement-{timezone.localdate().isoformat()}"
    )


@login_required
@require_GET
def my_involvement(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A person's own contributions across their studies, with totals and downloads."""
    own = own_contributions(request.user)
    scope = own_involvement_scope(request.user)
    memberships, current_ids = scope.memberships, scope.current_study_ids
    studies, stage_names = scope.studies, scope.stage_names
    form = InvolvementFilterForm(request.GET or None, studies=studies, stage_names=stage_names)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        # Obey the filters that are valid; the error summary says which ones are not.
        data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    filtered = own_filtered(own, data).order_by(
        "study__title", "study_id", "stage__position", "stage_id", "-activity_date", "-id"
    )
    download = request.GET.get("download")
    if download in {"csv", "xlsx"}:
        return limit_reached(request, EXPORTS) or _export(filtered, download)
    page = Paginator(filtered, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    # Labels and links are worked out once per page, not by the template for every row.
    activities = {value: str(label) for value, label in ActivityType.choices}
    states = {value: str(label) for value, label in ContributionState.choices}
    for contribution in page.object_list:
        contribution.duration = duration(contribution.minutes)  # type: ignore[attr-defined]
        contribution.activity_label = activities[contribution.activity_type]  # type: ignore[attr-defined]
        contribution.state_label = states[contribution.state]  # type: ignore[attr-defined]
        contribution.link = (  # type: ignore[attr-defined]
            reverse("contribution_detail", args=[contribution.study_id, contribution.pk])
            if contribution.study_id in current_ids
            else ""
        )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("download", None)
    return render(
        request,
        "engagement/contributions/my_involvement.html",
        {
            "form": form,
            "page": page,
            "totals": involvement_totals(filtered),
            "groups": involvement_group_totals(filtered),
            "recordable": [m for m in memberships if m.role == Role.PARTNER],
            "current_ids": current_ids,
            "query": query.urlencode(),
            "filtered": bool(data),
        },
    )


# --- recording and changing a contribution ----------------------------------------------


def _save_from_form(
    request: AuthenticatedHttpRequest,
    access: StudyAccess,
    form: ContributionForm,
    *,
    contribution: Contribution | None,
    partner: User,
) -> Contribution | None:
    submit = request.POST.get("action") == "submit"
    data = form.cleaned_data
    try:
        saved = contribution_save(
            contribution=contribution,
            partner=partner,
            study=access.study,
            stage=data["stage"],
            activity_type=data["activity_type"],
            activity_date=data["activity_date"],
            minutes=data["total_minutes"],
            what_they_did=data["what_they_did"],
            hoped_to_influence=data["hoped_to_influence"],
            what_changed=data["what_changed"],
            impact_standards=data["impact_standards"],
            entered_by=request.user,
            submit=submit,
        )
    except RuleBroken as refusal:
        form.add_error(None, str(refusal))
        return None
    if submit:
        messages.success(request, _("Thank you. Your involvement is sent for approval."))
    else:
        messages.success(request, _("Saved as a draft. Submit it for approval when it is ready."))
    return saved


@study_view(Action.RECORD_CONTRIBUTION)
@require_http_methods(["GET", "POST"])
def contribution_new(request: AuthenticatedHttpRequest, access: StudyAccess) -> HttpResponse:
    by_coordinator = access.role == Role.COORDINATOR
    partners = current_partners(access.study) if by_coordinator else None
    form = ContributionForm(
        request.POST if request.method == "POST" else None,
        study=access.study,
        partners=partners,
        initial={"activity_date": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        partner = form.cleaned_data["partner"] if by_coordinator else request.user
        saved = _save_from_form(request, access, form, contribution=None, partner=partner)
        if saved is not None:
            return _to_detail(access, saved)
    return render(
        request,
        "engagement/contributions/contribution_form.html",
        {
            "study": access.study,
            "access": access,
            "form": form,
            "contribution": None,
            "no_partners": by_coordinator and partners is not None and not partners.exists(),
        },
    )


def _decision(access: StudyAccess, contribution: Contribution) -> dict[str, Any]:
    """Approve and Return for a coordinator who may; for one who may not, who can."""
    if (
        not access.may(Action.APPROVE_CONTRIBUTIONS)
        or contribution.state != ContributionState.SUBMITTED
    ):
        return {"may_decide": False, "decision_note": ""}
    refusal = decision_refusal(contribution, access.membership.user_id)
    if refusal is None:
        return {"may_decide": True, "decision_note": ""}
    approvers = who_may_decide(contribution, current_coordinators(access.study))
    return {"may_decide": False, "decision_note": f"{refusal} {who_approves(approvers)}"}


@study_view(Action.VIEW_STUDY)
@require_GET
def contribution_detail(
    request: HttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    expenses = list(contribution.expenses.all())
    may_record = access.may(Action.RECORD_CONTRIBUTION)
    return render(
        request,
        "engagement/contributions/contribution_detail.html",
        _context(
            access,
            contribution,
            expenses=expenses,
            expenses_total=sum((line.amount for line in expenses), Decimal("0.00")),
            standards=standard_labels(contribution.impact_standards),
            duration=duration(contribution.minutes),
            may_change=may_change(access, contribution),
            may_submit=may_record
            and contribution.state in {ContributionState.DRAFT, ContributionState.RETURNED},
            may_record_impact=may_record,
            sees_money=sees_money(access, contribution),
            receipts_required=policy_for(access.study).receipts_required,
            activity_types=ActivityType,
            **_decision(access, contribution),
        ),
    )


@study_view(Action.RECORD_CONTRIBUTION)
@require_http_methods(["GET", "POST"])
def contribution_edit(
    request: AuthenticatedHttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    require_mine(access, contribution)
    if not may_change(access, contribution):
        return _locked(request, access, contribution)
    form = ContributionForm(
        request.POST if request.method == "POST" else None,
        study=access.study,
        initial=ContributionForm.initial_for(contribution),
    )
    if request.method == "POST" and form.is_valid():
        saved = _save_from_form(
            request, access, form, contribution=contribution, partner=contribution.partner
        )
        if saved is not None:
            return _to_detail(access, saved)
    return render(
        request,
        "engagement/contributions/contribution_form.html",
        _context(access, contribution, form=form, no_partners=False),
    )


def _contribution_page(
    request: HttpRequest, access: StudyAccess, kept: KeptForm | None, contribution_id: int
) -> str:
    """The contribution's page, which holds its buttons."""
    contribution = contribution_in(access, contribution_id)
    not_done(request, kept)
    return reverse("contribution_detail", args=[access.study.pk, contribution.pk])


@study_view(Action.RECORD_CONTRIBUTION)
@post_only(_contribution_page)
def contribution_submit_view(
    request: HttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    require_mine(access, contribution)
    if contribution.state == ContributionState.SUBMITTED:
        messages.info(request, _("This contribution is already waiting for approval."))
        return _to_detail(access, contribution)
    try:
        contribution_submit(contribution=contribution)
    except RuleBroken as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Thank you. Your involvement is sent for approval."))
    return _to_detail(access, contribution)


@study_view(Action.RECORD_CONTRIBUTION)
@require_http_methods(["GET", "POST"])
def contribution_impact(
    request: HttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    form = ImpactForm(
        request.POST if request.method == "POST" else None,
        initial={
            "what_changed": contribution.what_changed,
            "impact_standards": contribution.impact_standards,
        },
    )
    if request.method == "POST" and form.is_valid():
        contribution_record_impact(
            contribution=contribution,
            what_changed=form.cleaned_data["what_changed"],
            impact_standards=form.cleaned_data["impact_standards"],
        )
        messages.success(request, _("What changed is saved. Thank you."))
        return _to_detail(access, contribution)
    return render(
        request,
        "engagement/contributions/contribution_impact.html",
        _context(access, contribution, form=form),
    )


# --- expenses ----------------------------------------------------------------------------


@study_view(Action.RECORD_CONTRIBUTION)
@counts_towards(UPLOADS)
@require_http_methods(["GET", "POST"])
def expense_new(request: HttpRequest, access: StudyAccess, contribution_id: int) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    require_mine(access, contribution)
    if not may_change(access, contribution):
        return _locked(request, access, contribution)
    policy = policy_for(access.study)
    form = ExpenseForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        receipts_required=policy.receipts_required,
    )
    if request.method == "POST" and form.is_valid():
        try:
            expense_add(
                contribution=contribution,
                expense_type=form.cleaned_data["expense_type"],
                amount=form.cleaned_data["amount"],
                description=form.cleaned_data["description"],
                receipt=form.cleaned_data["receipt"],
            )
        except ReceiptRefused as refusal:
            form.add_error("receipt", str(refusal))
        except RuleBroken as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Expense added."))
            return _to_detail(access, contribution)
    return render(
        request,
        "engagement/contributions/expense_form.html",
        _context(access, contribution, form=form, policy=policy),
    )


@study_view(Action.RECORD_CONTRIBUTION)
@require_http_methods(["GET", "POST"])
def expense_remove_view(
    request: HttpRequest, access: StudyAccess, contribution_id: int, expense_id: int
) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    require_mine(access, contribution)
    line = expense_in(access, contribution, expense_id)
    if not may_change(access, contribution):
        return _locked(request, access, contribution)
    if request.method == "POST":
        try:
            expense_remove(line=line)
        except RuleBroken as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Expense removed."))
        return _to_detail(access, contribution)
    return render(
        request,
        "engagement/contributions/expense_remove.html",
        _context(access, contribution, line=line),
    )


@study_view(Action.RECORD_CONTRIBUTION)
@require_GET
def expense_receipt(
    request: AuthenticatedHttpRequest, access: StudyAccess, contribution_id: int, expense_id: int
) -> FileResponse:
    contribution = contribution_in(access, contribution_id)
    if not sees_money(access, contribution):
        raise PermissionDenied(_("Receipts are seen by the partner and those who pay them."))
    line = expense_in(access, contribution, expense_id)
    if not line.receipt:
        raise Http404("No receipt.")
    receipt_downloaded(by=request.user, line=line)
    # Only the types a receipt was found to be are served as such; the name follows the type.
    known = line.receipt_content_type in RECEIPT_EXTENSIONS
    return FileResponse(
        line.receipt.open("rb"),
        as_attachment=True,
        filename=download_name(line.receipt_name, line.receipt_content_type),
        content_type=line.receipt_content_type if known else "application/octet-stream",
    )
