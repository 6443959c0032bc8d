"""Payments due and paid, expenses to reimburse, the payment policy and the finance export."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from engagement.access import (
    StudyAccess,
    contribution_in,
    not_done,
    post_only,
    rate_in,
    study_view,
)
from engagement.involvement.audit import policy_events
from engagement.involvement.exports import FinanceBasis, finance_export
from engagement.involvement.forms import ExportForm, PaidForm, PolicyForm, RateForm
from engagement.involvement.selectors import (
    contributions_chosen,
    payments_due,
    payments_made,
    policy_for,
    policy_rates,
    rate_is_used,
    reimbursements_due,
)
from engagement.involvement.sensitive import finance_exported, payment_recorded
from engagement.involvement.services.contributions import (
    contribution_mark_paid,
    contributions_mark_paid_many,
    expenses_mark_paid,
    expenses_mark_paid_many,
)
from engagement.involvement.services.payments import policy_update, rate_add, rate_remove
from engagement.involvement.views.approvals import chosen_ids, not_read
from engagement.involvement.wording import describe, preference_label
from engagement.models import Contribution, ContributionState
from portal.formatting import duration
from portal.http import AuthenticatedHttpRequest, KeptForm
from portal.permissions import Action
from portal.ratelimits import EXPORTS, limit_reached
from portal.rules import RuleBroken

PAID_PER_PAGE = 50


def _labelled(rows: list[Contribution]) -> list[Contribution]:
    for row in rows:
        row.duration = duration(row.minutes)  # type: ignore[attr-defined]
        row.preference = preference_label(row.payment_preference)  # type: ignore[attr-defined]
    return rows


def _paid_form(expenses: bool, data: QueryDict | None = None) -> PaidForm:
    return PaidForm(
        data,
        prefix="expenses" if expenses else "pay",
        initial={"paid_on": timezone.localdate()},
    )


def _list_page(
    request: HttpRequest,
    access: StudyAccess,
    *,
    pay_form: PaidForm | None = None,
    expenses_form: PaidForm | None = None,
    chosen: Iterable[int] = (),
) -> HttpResponse:
    due = _labelled(payments_due(access.study))
    expenses = _labelled(reimbursements_due(access.study))
    paid = Paginator(payments_made(access.study), PAID_PER_PAGE).get_page(request.GET.get("page"))
    paid.object_list = _labelled(list(paid.object_list))
    return render(
        request,
        "engagement/payments/payment_list.html",
        {
            "study": access.study,
            "due": due,
            "due_total": sum((row.payment_due or Decimal("0") for row in due), Decimal("0")),
            "expenses": expenses,
            "expenses_total": sum(
                (row.expenses_total for row in expenses),  # type: ignore[attr-defined]
                Decimal("0"),
            ),
            "page_obj": paid,
            "pay_form": pay_form or _paid_form(expenses=False),
            "expenses_form": expenses_form or _paid_form(expenses=True),
            "chosen": set(chosen),
        },
    )


@study_view(Action.MANAGE_PAYMENTS)
@require_safe
def payment_list(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    return _list_page(request, access)


def _mark_selected(
    request: AuthenticatedHttpRequest, access: StudyAccess, *, expenses: bool
) -> HttpResponse:
    ids = chosen_ids(request)
    if ids is None:
        not_read(request)
        return redirect("payment_list", study_id=access.study.pk)
    chosen = contributions_chosen(access.study, ids)
    if not chosen:
        messages.error(
            request,
            _("Choose at least one claim to mark as reimbursed.")
            if expenses
            else _("Choose at least one payment to mark as paid."),
        )
        return redirect("payment_list", study_id=access.study.pk)
    form = _paid_form(expenses, request.POST)
    if not form.is_valid():
        forms = {"expenses_form" if expenses else "pay_form": form}
        return _list_page(request, access, chosen=ids, **forms)
    service = expenses_mark_paid_many if expenses else contributions_mark_paid_many
    done, refused = service(
        contributions=chosen,
        paid_on=form.cleaned_data["paid_on"],
        reference=form.cleaned_data["reference"],
    )
    for contribution in done:
        payment_recorded(by=request.user, contribution=contribution, expenses=expenses)
    listed = "; ".join(describe(c) for c in done)
    if done and expenses:
        messages.success(
            request,
            ngettext(
                "Expenses marked as reimbursed: %(list)s.",
                "Expenses marked as reimbursed for %(n)s contributions: %(list)s.",
                len(done),
            )
            % {"n": len(done), "list": listed},
        )
    elif done:
        messages.success(
            request,
            ngettext("Marked as paid: %(list)s.", "Marked %(n)s as paid: %(list)s.", len(done))
            % {"n": len(done), "list": listed},
        )
    for contribution, reason in refused:
        refusal = (
            _("Expenses not marked as reimbursed: %(what)s. %(reason)s")
            if expenses
            else _("Not marked as paid: %(what)s. %(reason)s")
        )
        messages.error(request, refusal % {"what": describe(contribution), "reason": reason})
    return redirect("payment_list", study_id=access.study.pk)


def _payments_page(request: HttpRequest, access: StudyAccess, kept: KeptForm | None) -> str:
    """The list of payments, which holds the forms that mark them."""
    not_done(request, kept)
    return reverse("payment_list", args=[access.study.pk])


@study_view(Action.MANAGE_PAYMENTS)
@post_only(_payments_page)
def payments_mark_paid(request: AuthenticatedHttpRequest, access: StudyAccess) -> HttpResponse:
    return _mark_selected(request, access, expenses=False)


@study_view(Action.MANAGE_PAYMENTS)
@post_only(_payments_page)
def expenses_mark_reimbursed(
    request: AuthenticatedHttpRequest, access: StudyAccess
) -> HttpResponse:
    return _mark_selected(request, access, expenses=True)


def _mark(
    request: AuthenticatedHttpRequest,
    access: StudyAccess,
    contribution_id: int,
    *,
    expenses: bool,
) -> HttpResponse:
    contribution = contribution_in(access, contribution_id)
    if expenses:
        ready = contribution.is_locked and contribution.expenses_paid_on is None
        not_ready = _(
            "Expenses can be marked as reimbursed once the contribution is approved, and only once."
        )
    else:
        ready = contribution.state == ContributionState.APPROVED
        not_ready = _("Only an approved contribution that has not been paid can be marked as paid.")
    if request.method == "POST" and not ready:
        messages.error(request, not_ready)
        return redirect("payment_list", study_id=access.study.pk)
    form = PaidForm(
        request.POST if request.method == "POST" else None,
        initial={"paid_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        service = expenses_mark_paid if expenses else contribution_mark_paid
        try:
            service(
                contribution=contribution,
                paid_on=form.cleaned_data["paid_on"],
                reference=form.cleaned_data["reference"],
            )
        except RuleBroken as refusal:
            form.add_error(None, str(refusal))
        else:
            payment_recorded(by=request.user, contribution=contribution, expenses=expenses)
            done = (
                _("Expenses marked as reimbursed: %(what)s.")
                if expenses
                else _("Marked as paid: %(what)s.")
            )
            messages.success(request, done % {"what": describe(contribution)})
            return redirect("payment_list", study_id=access.study.pk)
    totals = contribution.expenses.order_by().values_list("amount", flat=True)
    return render(
        request,
        "engagement/payments/mark_paid.html",
        {
            "study": access.study,
            "contribution": contribution,
            "duration": duration(contribution.minutes),
            "preference": preference_label(contribution.payment_preference),
            "expenses_total": sum(totals, Decimal("0")),
            "for_expenses": expenses,
            "ready": ready,
            "not_ready": not_ready,
            "form": form,
        },
    )


@study_view(Action.MANAGE_PAYMENTS)
@require_http_methods(["GET", "POST"])
def contribution_paid(
    request: AuthenticatedHttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    return _mark(request, access, contribution_id, expenses=False)


@study_view(Action.MANAGE_PAYMENTS)
@require_http_methods(["GET", "POST"])
def contribution_expenses_paid(
    request: AuthenticatedHttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    return _mark(request, access, contribution_id, expenses=True)


# --- the policy and its rates -------------------------------------------------------------


@study_view(Action.MANAGE_PAYMENTS)
@require_http_methods(["GET", "POST"])
def payment_policy(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    policy = policy_for(access.study)
    form = PolicyForm(request.POST if request.method == "POST" else None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            policy_update(policy=policy, **form.policy_fields())
        except RuleBroken as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Payment policy saved."))
            return redirect("payment_policy", study_id=access.study.pk)
    return render(
        request,
        "engagement/payments/policy.html",
        {
            "study": access.study,
            "policy": policy,
            "form": form,
            "rates": policy_rates(policy),
            "events": policy_events(policy),
        },
    )


@study_view(Action.MANAGE_PAYMENTS)
@require_http_methods(["GET", "POST"])
def payment_rate_new(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    policy = policy_for(access.study)
    form = RateForm(request.POST if request.method == "POST" else None, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            rate = rate_add(policy=policy, **form.rate_fields())
        except RuleBroken as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                _(
                    "Rate added: %(rate)s. Contributions from that date are paid at it when "
                    "approved."
                )
                % {"rate": rate},
            )
            return redirect("payment_policy", study_id=access.study.pk)
    return render(
        request, "engagement/payments/rate_form.html", {"study": access.study, "form": form}
    )


@study_view(Action.MANAGE_PAYMENTS)
@require_http_methods(["GET", "POST"])
def payment_rate_remove(request: HttpRequest, access: StudyAccess, rate_id: int) -> HttpResponse:
    rate = rate_in(access, rate_id)
    used = rate_is_used(rate)
    if request.method == "POST":
        try:
            rate_remove(rate=rate)
        except RuleBroken as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Rate removed: %(rate)s.") % {"rate": rate})
        return redirect("payment_policy", study_id=access.study.pk)
    return render(
        request,
        "engagement/payments/rate_remove.html",
        {"study": access.study, "rate": rate, "used": used},
    )


# --- the finance export -------------------------------------------------------------------


@study_view(Action.MANAGE_PAYMENTS)
@require_safe
def payment_export(request: AuthenticatedHttpRequest, access: StudyAccess) -> HttpResponse:
    today = timezone.localdate()
    form = ExportForm(
        request.GET or None,
        initial={
            "date_from": today.replace(day=1),
            "date_to": today,
            "file_format": "csv",
        },
    )
    if form.is_bound and form.is_valid():
        refused = limit_reached(request, EXPORTS)
        if refused is not None:
            return refused
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        finance_exported(by=request.user, study_id=access.study.pk, start=start, end=end)
        export = finance_export(
            study=access.study,
            start=start,
            end=end,
            basis=form.cleaned_data.get("basis") or FinanceBasis.ACTIVITY,
        )
        return export.download(
            file_format=form.cleaned_data["file_format"],
            filename=f"payments-study-{access.study.pk}-{start.isoformat()}-to-{end.isoformat()}",
        )
    return render(request, "engagement/payments/export.html", {"study": access.study, "form": form})
