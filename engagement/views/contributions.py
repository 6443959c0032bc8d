"""Recording involvement: a partner's own timeline, contributions, what changed and expenses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import tablib
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engagement.access import StudyAccess, study_view
from engagement.contributions import (
    EDITABLE,
    contribution_record_impact,
    contribution_save,
    contribution_submit,
    expense_add,
    expense_remove,
    receipt_check,
)
from engagement.forms_contributions import (
    ContributionForm,
    ExpenseForm,
    ImpactForm,
    InvolvementFilterForm,
)
from engagement.lookups import contribution_in, expense_in, sees_money
from engagement.models import (
    ActivityType,
    Contribution,
    ContributionState,
    ImpactStandard,
    Membership,
    Stage,
    Study,
)
from engagement.payments import policy_for
from engagement.services import RuleBroken
from portal.accounts.models import User
from portal.permissions import Action, Role
from portal.spreadsheets import safe_cell

PER_PAGE = 50
LOCKED_MESSAGE = gettext_lazy(
    "This contribution has been approved, so it can no longer be changed. "
    "You can still record what changed as a result."
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet treats a cell that starts with one of these as a formula.


# --- helpers -----------------------------------------------------------------------------


def _study_partners(study: Study) -> QuerySet[User]:
    return User.objects.filter(
        memberships__study=study,
        memberships__role=Role.PARTNER,
        memberships__left_on__isnull=True,
    ).order_by("display_name", "id")


def _is_mine(access: StudyAccess, contribution: Contribution) -> bool:
    return access.membership.user_id in {contribution.partner_id, contribution.entered_by_id}


def _require_mine(access: StudyAccess, contribution: Contribution) -> None:
    """Only the partner, or the coordinator who entered it for them, changes a contribution.

    Another coordinator returns it with a reason instead: whoever approves a payment must not
    also have set what it is for.
    """
    if not _is_mine(access, contribution):
        raise PermissionDenied(
            _(
                "Only the partner, or whoever entered it for them, can change this. Return it "
                "with a reason instead."
            )
        )


def _may_change(access: StudyAccess, contribution: Contribution) -> bool:
    """The partner or the coordinator who entered it, while it is not approved."""
    return (
        access.may(Action.RECORD_CONTRIBUTION)
        and _is_mine(access, contribution)
        and contribution.state in EDITABLE
    )


def _to_detail(access: StudyAccess, contribution: Contribution) -> HttpResponse:
    return redirect(
        "contribution_detail", study_id=access.study.pk, contribution_id=contribution.pk
    )


def _locked(request: HttpRequest, access: StudyAccess, contribution: Contribution) -> HttpResponse:
    messages.error(request, LOCKED_MESSAGE)
    return _to_detail(access, contribution)


def _context(access: StudyAccess, contribution: Contribution, **extra: Any) -> dict[str, Any]:
    return {"study": access.study, "access": access, "contribution": contribution, **extra}


def duration_text(minutes: int) -> str:
    """Time in plain words: "2 hours 15 minutes"."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours})
    if rest or not hours:
        parts.append(ngettext("%(n)s minute", "%(n)s minutes", rest) % {"n": rest})
    return " ".join(parts)


def _standards_display(values: list[str]) -> list[str]:
    return [str(ImpactStandard(value).label) for value in values if value in ImpactStandard.values]


# --- your involvement --------------------------------------------------------------------


def _own_contributions(user: User) -> QuerySet[Contribution]:
    return Contribution.objects.filter(partner=user).select_related(
        "study", "stage", "entered_by", "partner"
    )


def _filtered(queryset: QuerySet[Contribution], data: dict[str, Any]) -> QuerySet[Contribution]:
    if data.get("date_from"):
        queryset = queryset.filter(activity_date__gte=data["date_from"])
    if data.get("date_to"):
        queryset = queryset.filter(activity_date__lte=data["date_to"])
    if data.get("study"):
        queryset = queryset.filter(study=data["study"])
    if data.get("stage"):
        queryset = queryset.filter(stage__name__iexact=data["stage"])
    if data.get("activity"):
        queryset = queryset.filter(activity_type=data["activity"])
    if data.get("state"):
        queryset = queryset.filter(state=data["state"])
    return queryset


def _totals(queryset: QuerySet[Contribution]) -> dict[str, Any]:
    """Hours, activities and payments of what is filtered, in one query."""
    totals = queryset.aggregate(
        activities=Count("id"),
        minutes=Sum("minutes"),
        due=Sum("payment_due", filter=Q(state=ContributionState.APPROVED)),
        paid=Sum("payment_due", filter=Q(state=ContributionState.PAID)),
    )
    totals["hours"] = _hours(totals["minutes"] or 0)
    totals["due"] = totals["due"] or Decimal("0.00")
    totals["paid"] = totals["paid"] or Decimal("0.00")
    return totals


def _group_totals(queryset: QuerySet[Contribution]) -> list[dict[str, Any]]:
    """The same totals for each study and stage, in one query."""
    rows = (
        queryset.order_by()
        .values("study_id", "study__title", "stage__position", "stage_id", "stage__name")
        .annotate(
            activities=Count("id"),
            minutes=Sum("minutes"),
            due=Sum("payment_due", filter=Q(state=ContributionState.APPROVED)),
            paid=Sum("payment_due", filter=Q(state=ContributionState.PAID)),
        )
        .order_by("study__title", "study_id", "stage__position", "stage_id")
    )
    return [{**row, "hours": _hours(row["minutes"] or 0)} for row in rows]


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"))


def _proxy_text(contribution: Contribution) -> str:
    if not contribution.by_proxy or contribution.entered_by is None:
        return ""
    return _("Entered by %(by)s on behalf of %(partner)s") % {
        "by": contribution.entered_by.display_name or contribution.entered_by,
        "partner": contribution.partner.display_name or contribution.partner,
    }


def _export(queryset: QuerySet[Contribution], kind: str) -> HttpResponse:
    dataset = tablib.Dataset(
        headers=[
            _("Study"),
            _("Stage"),
            _("Date"),
            _("Activity"),
            _("Hours"),
            _("What you did"),
            _("What you hoped to influence"),
            _("What changed"),
            _("UK Standards for Public Involvement"),
            _("State"),
            _("Payment due (£)"),
            _("Paid on"),
            _("Entered by proxy"),
        ],
        title=_("Your involvement"),
    )
    for contribution in queryset.iterator(chunk_size=2000):
        row = [
            contribution.study.title,
            contribution.stage.name,
            contribution.activity_date.isoformat(),
            contribution.get_activity_type_display(),
            float(contribution.hours),
            contribution.what_they_did,
            contribution.hoped_to_influence,
            contribution.what_changed,
            "; ".join(_standards_display(contribution.impact_standards)),
            contribution.get_state_display(),
            float(contribution.payment_due) if contribution.payment_due is not None else "",
            contribution.paid_on.isoformat() if contribution.paid_on else "",
            _proxy_text(contribution),
        ]
        dataset.append([safe_cell(str(v)) if not isinstance(v, float) else v for v in row])
    stamp = timezone.localdate().isoformat()
    if kind == "xlsx":
        response = HttpResponse(dataset.export("xlsx"), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(dataset.export("csv"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="your-involvement-{stamp}.{kind}"'
    return response


@login_required
@require_GET
def my_involvement(request: HttpRequest) -> HttpResponse:
    """A person's own contributions across their studies, with totals and downloads."""
    own = _own_contributions(request.user)
    memberships = list(
        Membership.objects.filter(user=request.user, left_on__isnull=True)
        .select_related("study")
        .order_by("study__title", "study_id")
    )
    current_ids = {m.study_id for m in memberships}
    # Two indexed lookups rather than an OR across a join over every contribution.
    study_ids = current_ids | set(
        Contribution.objects.filter(partner=request.user)
        .values_list("study_id", flat=True)
        .distinct()
    )
    studies = Study.objects.filter(pk__in=study_ids).order_by("title", "id")
    stage_names = sorted(
        set(Stage.objects.filter(study_id__in=study_ids).values_list("name", flat=True)),
        key=str.lower,
    )
    form = InvolvementFilterForm(request.GET or None, studies=studies, stage_names=stage_names)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        # Obey the filters that are valid; the error summary says which ones are not.
        data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    filtered = _filtered(own, data).order_by(
        "study__title", "study_id", "stage__position", "stage_id", "-activity_date", "-id"
    )
    download = request.GET.get("download")
    if download in {"csv", "xlsx"}:
        return _export(filtered, download)
    page = Paginator(filtered, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    # Labels and links are worked out once per page, not by the template for every row.
    activities = {value: str(label) for value, label in ActivityType.choices}
    states = {value: str(label) for value, label in ContributionState.choices}
    for contribution in page.object_list:
        contribution.duration = duration_text(contribution.minutes)  # type: ignore[attr-defined]
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
            "totals": _totals(filtered),
            "groups": _group_totals(filtered),
            "recordable": [m for m in memberships if m.role == Role.PARTNER],
            "current_ids": current_ids,
            "query": query.urlencode(),
            "filtered": bool(data),
        },
    )


# --- recording and changing a contribution ----------------------------------------------


def _save_from_form(
    request: HttpRequest,
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
def contribution_new(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    by_coordinator = access.role == Role.COORDINATOR
    partners = _study_partners(access.study) if by_coordinator else None
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
            standards=_standards_display(contribution.impact_standards),
            duration=duration_text(contribution.minutes),
            may_change=_may_change(access, contribution),
            may_submit=may_record
            and contribution.state in {ContributionState.DRAFT, ContributionState.RETURNED},
            may_record_impact=may_record,
            sees_money=sees_money(access, contribution),
            receipts_required=policy_for(access.study).receipts_required,
            activity_types=ActivityType,
        ),
    )


@study_view(Action.RECORD_CONTRIBUTION)
@require_http_methods(["GET", "POST"])
def contribution_edit(
    request: HttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    _require_mine(access, contribution)
    if not _may_change(access, contribution):
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


@study_view(Action.RECORD_CONTRIBUTION)
@require_POST
def contribution_submit_view(
    request: HttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    _require_mine(access, contribution)
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
@require_http_methods(["GET", "POST"])
def expense_new(request: HttpRequest, access: StudyAccess, contribution_id: int) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    _require_mine(access, contribution)
    if not _may_change(access, contribution):
        return _locked(request, access, contribution)
    policy = policy_for(access.study)
    form = ExpenseForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        receipts_required=policy.receipts_required,
    )
    if request.method == "POST" and form.is_valid():
        receipt = form.cleaned_data["receipt"]
        try:
            if receipt is not None:
                receipt_check(receipt)
                receipt.seek(0)
        except RuleBroken as refusal:
            form.add_error("receipt", str(refusal))
    if request.method == "POST" and form.is_valid():
        try:
            expense_add(
                contribution=contribution,
                expense_type=form.cleaned_data["expense_type"],
                amount=form.cleaned_data["amount"],
                description=form.cleaned_data["description"],
                receipt=form.cleaned_data["receipt"],
            )
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
    _require_mine(access, contribution)
    line = expense_in(access, contribution, expense_id)
    if not _may_change(access, contribution):
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
    request: HttpRequest, access: StudyAccess, contribution_id: int, expense_id: int
) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    if not sees_money(access, contribution):
        raise PermissionDenied(_("Receipts are seen by the partner and those who pay them."))
    line = expense_in(access, contribution, expense_id)
    if not line.receipt:
        raise Http404("No receipt.")
    return FileResponse(
        line.receipt.open("rb"),
        as_attachment=True,
        filename=line.receipt_name or "receipt",
        content_type=line.receipt_content_type or "application/octet-stream",
    )
