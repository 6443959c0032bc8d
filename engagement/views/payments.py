"""Payments due and paid, expenses to reimburse, the payment policy and the finance export."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from typing import Any

import tablib
from django.contrib import messages
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from engagement.access import StudyAccess, study_view
from engagement.contributions import contribution_mark_paid, expenses_mark_paid
from engagement.forms_payments import ExportForm, ExportFormat, PaidForm, PolicyForm, RateForm
from engagement.lookups import contribution_in, rate_in
from engagement.models import (
    Contribution,
    ContributionState,
    PaymentPolicy,
    PaymentRate,
    RateKind,
)
from engagement.payments import policy_for, rate_in_force
from engagement.services import RuleBroken
from engagement.views.approvals import (
    Event,
    Names,
    describe,
    duration,
    events_of,
    preference_label,
    with_expenses_total,
)
from portal.accounts.models import PaymentPreference
from portal.permissions import Action
from portal.spreadsheets import safe_cell

PAID_SHOWN = 100


def _labelled(rows: list[Contribution]) -> list[Contribution]:
    for row in rows:
        row.duration = duration(row.minutes)  # type: ignore[attr-defined]
        row.preference = preference_label(row.payment_preference)  # type: ignore[attr-defined]
    return rows


@study_view(Action.MANAGE_PAYMENTS)
@require_safe
def payment_list(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    mine = with_expenses_total(Contribution.objects.filter(study=access.study))
    due = _labelled(
        list(mine.filter(state=ContributionState.APPROVED).order_by("activity_date", "id"))
    )
    expenses = _labelled(
        list(
            mine.filter(
                state__in=[ContributionState.APPROVED, ContributionState.PAID],
                expenses_paid_on__isnull=True,
                expenses_total__gt=0,
            ).order_by("activity_date", "id")
        )
    )
    paid = _labelled(
        list(mine.filter(state=ContributionState.PAID).order_by("-paid_on", "-id")[:PAID_SHOWN])
    )
    return render(
        request,
        "engagement/payments/payment_list.html",
        {
            "study": access.study,
            "due": due,
            "due_total": sum((row.payment_due or Decimal("0") for row in due), Decimal("0")),
            "expenses": expenses,
            "expenses_total": sum((row.expenses_total for row in expenses), Decimal("0")),
            "paid": paid,
            "paid_shown": PAID_SHOWN,
        },
    )


def _mark(
    request: HttpRequest,
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
    request: HttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    return _mark(request, access, contribution_id, expenses=False)


@study_view(Action.MANAGE_PAYMENTS)
@require_http_methods(["GET", "POST"])
def contribution_expenses_paid(
    request: HttpRequest, access: StudyAccess, contribution_id: int
) -> HttpResponse:
    return _mark(request, access, contribution_id, expenses=True)


# --- the policy and its rates -------------------------------------------------------------


def _rate_what(record: Any, kind: str) -> str:
    rate = _("%(kind)s rate of £%(amount)s from %(date)s") % {
        "kind": RateKind(record.kind).label if record.kind in RateKind.values else record.kind,
        "amount": record.amount,
        "date": date_format(record.effective_from, "j F Y"),
    }
    if kind == "+":
        return _("Added: %(rate)s") % {"rate": rate}
    if kind == "-":
        return _("Removed: %(rate)s") % {"rate": rate}
    return _("Changed: %(rate)s") % {"rate": rate}


def _policy_what(record: Any, kind: str) -> str:
    return _("Policy set up") if kind == "+" else _("Policy changed")


def policy_events(policy: PaymentPolicy, last: int = 10) -> list[Event]:
    policy_records = list(
        PaymentPolicy.history.filter(id=policy.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    rate_records = list(
        PaymentRate.history.filter(policy_id=policy.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    names = Names([])
    events = events_of(
        policy_records,
        names=names,
        what=_policy_what,
        shown_on_create=["receipts_required", "half_day_from_minutes", "day_from_minutes"],
    )
    events += events_of(rate_records, names=names, what=_rate_what, shown_on_create=[])
    events.sort(key=lambda event: event.when, reverse=True)
    return events[:last]


def _rates(policy: PaymentPolicy) -> list[PaymentRate]:
    today = timezone.localdate()
    in_force = {
        rate.pk
        for kind in RateKind.values
        if (rate := rate_in_force(policy, kind, today)) is not None
    }
    used = set(Contribution.objects.filter(rate__policy=policy).values_list("rate_id", flat=True))
    rates = list(policy.rates.order_by("kind", "-effective_from"))
    order = list(RateKind.values)
    rates.sort(key=lambda rate: (order.index(rate.kind), -rate.effective_from.toordinal()))
    for rate in rates:
        rate.in_force = rate.pk in in_force  # type: ignore[attr-defined]
        rate.used = rate.pk in used  # type: ignore[attr-defined]
        rate.future = rate.effective_from > today  # type: ignore[attr-defined]
    return rates


@study_view(Action.MANAGE_PAYMENTS)
@require_http_methods(["GET", "POST"])
def payment_policy(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    policy = policy_for(access.study)
    form = PolicyForm(request.POST if request.method == "POST" else None, instance=policy)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Payment policy saved."))
        return redirect("payment_policy", study_id=access.study.pk)
    return render(
        request,
        "engagement/payments/policy.html",
        {
            "study": access.study,
            "policy": policy,
            "form": form,
            "rates": _rates(policy),
            "events": policy_events(policy),
        },
    )


@study_view(Action.MANAGE_PAYMENTS)
@require_http_methods(["GET", "POST"])
def payment_rate_new(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    policy = policy_for(access.study)
    form = RateForm(request.POST if request.method == "POST" else None, policy=policy)
    if request.method == "POST" and form.is_valid():
        rate = form.save()
        messages.success(
            request,
            _("Rate added: %(rate)s. Contributions from that date are paid at it when approved.")
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
    used = Contribution.objects.filter(rate=rate).exists()
    if request.method == "POST":
        if used:
            messages.error(
                request,
                _(
                    "The %(rate)s rate cannot be removed: approved contributions were paid at "
                    "it. Add a new rate from a later date instead."
                )
                % {"rate": rate},
            )
            return redirect("payment_policy", study_id=access.study.pk)
        try:
            with transaction.atomic():
                rate.delete()
        except ProtectedError:
            messages.error(request, _("This rate is in use and cannot be removed."))
        else:
            messages.success(request, _("Rate removed: %(rate)s.") % {"rate": rate})
        return redirect("payment_policy", study_id=access.study.pk)
    return render(
        request,
        "engagement/payments/rate_remove.html",
        {"study": access.study, "rate": rate, "used": used},
    )


# --- the finance export -------------------------------------------------------------------

HEADERS = [
    "Partner",
    "Email",
    "Payment preference",
    "Method",
    "Stage",
    "Activity",
    "Date",
    "Hours",
    "Rate",
    "Amount due (£)",
    "State",
    "Paid on",
    "Payment reference",
    "Expenses total (£)",
    "Expenses paid on",
    "Expenses reference",
]


def _safe(value: object) -> Any:
    return safe_cell("" if value is None else str(value))


def _method(preference: str) -> str:
    if preference == PaymentPreference.DECLINE:
        return "None (declined)"
    if preference == PaymentPreference.VOUCHERS:
        return "Vouchers"
    return "Bank transfer"


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal("0")).quantize(Decimal("0.01"))


def export_rows(
    access: StudyAccess, start: dt.date, end: dt.date, basis: str = "activity"
) -> list[list[Any]]:
    """One row per approved or paid contribution in the period.

    By activity date for a funder; by payment date (of the time or of the expenses) for
    finance closing a month.
    """
    in_period = (
        Q(paid_on__range=(start, end)) | Q(expenses_paid_on__range=(start, end))
        if basis == "paid"
        else Q(activity_date__range=(start, end))
    )
    contributions = (
        with_expenses_total(
            Contribution.objects.filter(
                in_period,
                study=access.study,
                state__in=[ContributionState.APPROVED, ContributionState.PAID],
            )
        )
        .select_related("rate")
        .order_by("activity_date", "id")
    )
    rows = []
    for c in contributions:
        rows.append(
            [
                c.partner.display_name,
                c.partner.email,
                preference_label(c.payment_preference),
                _method(c.payment_preference),
                c.stage.name,
                c.get_activity_type_display(),
                c.activity_date,
                c.hours,
                str(c.rate) if c.rate else "",
                _money(c.payment_due),
                c.get_state_display(),
                c.paid_on,
                c.payment_reference,
                _money(c.expenses_total),
                c.expenses_paid_on,
                c.expenses_reference,
            ]
        )
    return rows


def totals_row(rows: list[list[Any]]) -> list[Any]:
    def total(index: int) -> Decimal:
        return sum((row[index] for row in rows), Decimal("0.00"))

    row: list[Any] = [""] * len(HEADERS)
    row[0] = f"Total ({len(rows)} contributions)"
    row[7] = total(7)
    row[9] = total(9)
    row[13] = total(13)
    return row


def _text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return _safe(value)


def _csv(rows: list[list[Any]], name: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read it as UTF-8
    writer = csv.writer(response)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([_text(value) for value in row])
    return response


def _xlsx(rows: list[list[Any]], name: str) -> HttpResponse:
    sheet = tablib.Dataset(headers=HEADERS, title="Payments")
    for row in rows:
        sheet.append(
            [value if isinstance(value, dt.date | Decimal) else _safe(value) for value in row]
        )
    response = HttpResponse(
        sheet.export("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@study_view(Action.MANAGE_PAYMENTS)
@require_safe
def payment_export(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    today = timezone.localdate()
    form = ExportForm(
        request.GET or None,
        initial={
            "date_from": today.replace(day=1),
            "date_to": today,
            "file_format": ExportFormat.CSV,
        },
    )
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        rows = export_rows(access, start, end, form.cleaned_data.get("basis") or "activity")
        rows.append(totals_row(rows))
        name = f"payments-study-{access.study.pk}-{start.isoformat()}-to-{end.isoformat()}"
        if form.cleaned_data["file_format"] == ExportFormat.XLSX:
            return _xlsx(rows, name)
        return _csv(rows, name)
    return render(request, "engagement/payments/export.html", {"study": access.study, "form": form})
