"""The coordinator's approval queue, returning with a reason, and a contribution's audit trail."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from engagement.access import StudyAccess, study_view
from engagement.contributions import (
    contribution_approve,
    contribution_return,
    contributions_approve_many,
)
from engagement.forms_payments import ReturnForm
from engagement.lookups import contribution_in
from engagement.models import (
    ActivityType,
    Contribution,
    ContributionState,
    ExpenseLine,
    ExpenseType,
    ImpactStandard,
    PaymentRate,
    RateKind,
    Stage,
)
from engagement.services import RuleBroken
from portal.accounts.models import PaymentPreference, User
from portal.permissions import Action

# --- small words shared with the payment pages ------------------------------------------


def duration(minutes: int) -> str:
    """Time spent as people say it: "1 hour 30 minutes"."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours})
    if rest or not hours:
        parts.append(ngettext("%(n)s minute", "%(n)s minutes", rest) % {"n": rest})
    return " ".join(parts)


def preference_label(value: str) -> str:
    if value in PaymentPreference.values:
        return str(PaymentPreference(value).label)
    return _("Not recorded")


def with_expenses_total(contributions: QuerySet[Contribution]) -> QuerySet[Contribution]:
    return contributions.select_related("partner", "stage", "entered_by").annotate(
        expenses_total=Sum("expenses__amount")
    )


def describe(contribution: Contribution) -> str:
    return _("%(activity)s by %(partner)s on %(date)s") % {
        "activity": contribution.get_activity_type_display(),
        "partner": contribution.partner.display_name,
        "date": date_format(contribution.activity_date, "j F Y"),
    }


# --- the queue ----------------------------------------------------------------------------


def waiting(access: StudyAccess) -> list[Contribution]:
    rows = list(
        with_expenses_total(
            Contribution.objects.filter(study=access.study, state=ContributionState.SUBMITTED)
        ).order_by("submitted_at", "id")
    )
    for row in rows:
        row.duration = duration(row.minutes)  # type: ignore[attr-defined]
        row.is_own = row.partner_id == access.membership.user_id  # type: ignore[attr-defined]
    return rows


def _is_id(value: str) -> bool:
    """A database id as a form sends it: plain ASCII digits, small enough for the database."""
    return value.isascii() and value.isdigit() and 0 < len(value) <= 18


@study_view(Action.APPROVE_CONTRIBUTIONS)
@require_http_methods(["GET", "POST"])
def approval_queue(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    if request.method == "POST":
        ids = [int(value) for value in request.POST.getlist("contribution") if _is_id(value)]
        chosen = list(
            Contribution.objects.filter(study=access.study, pk__in=ids)
            .select_related("partner")
            .order_by("submitted_at", "id")
        )
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
    return render(
        request,
        "engagement/payments/approval_queue.html",
        {"study": access.study, "contributions": waiting(access)},
    )


@study_view(Action.APPROVE_CONTRIBUTIONS)
@require_POST
def contribution_approve_view(
    request: HttpRequest, access: StudyAccess, contribution_id: int
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
            _("Approved: %(what)s. Payment due: £%(due)s.")
            % {"what": describe(contribution), "due": contribution.payment_due},
        )
    return redirect("approval_queue", study_id=access.study.pk)


@study_view(Action.APPROVE_CONTRIBUTIONS)
@require_http_methods(["GET", "POST"])
def contribution_return_view(
    request: HttpRequest, access: StudyAccess, contribution_id: int
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


# --- the audit trail ----------------------------------------------------------------------


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Event:
    when: datetime
    who: str
    what: str
    changes: list[Change] = field(default_factory=list)


LABELS: dict[str, Any] = {
    "partner": _l("Partner"),
    "stage": _l("Stage"),
    "activity_type": _l("Activity"),
    "activity_date": _l("Date"),
    "minutes": _l("Time spent"),
    "what_they_did": _l("What they did"),
    "hoped_to_influence": _l("What they hoped to influence"),
    "what_changed": _l("What changed as a result"),
    "impact_standards": _l("UK Standards for Public Involvement"),
    "state": _l("State"),
    "returned_reason": _l("Reason for returning"),
    "entered_by": _l("Entered by proxy by"),
    "decided_by": _l("Approved or returned by"),
    "payment_preference": _l("Payment preference"),
    "rate": _l("Rate used"),
    "payment_due": _l("Payment due (£)"),
    "paid_on": _l("Paid on"),
    "payment_reference": _l("Payment reference"),
    "expenses_paid_on": _l("Expenses reimbursed on"),
    "expenses_reference": _l("Expenses reference"),
    "expense_type": _l("Expense type"),
    "description": _l("Details"),
    "amount": _l("Amount (£)"),
    "receipt_name": _l("Receipt"),
    "kind": _l("Rate"),
    "effective_from": _l("In force from"),
    "receipts_required": _l("Receipts needed for every expense"),
    "half_day_from_minutes": _l("Half-day rate from"),
    "day_from_minutes": _l("Full-day rate from"),
    "notes": _l("Notes for partners"),
}
# Kept in the history but not worth showing: stored file names and timestamps of each step
# (the event itself says when).
HIDDEN = [
    "created_at",
    "updated_at",
    "submitted_at",
    "decided_at",
    "receipt",
    "receipt_content_type",
]


def _choice(choices: type[Any]) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        return str(choices(value).label) if value in choices.values else str(value or "")

    return show


def _standards(value: Any) -> str:
    return ", ".join(
        str(ImpactStandard(v).label) for v in (value or []) if v in ImpactStandard.values
    )


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, date):
        return date_format(value, "j F Y")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


class Names:
    """Names for the ids a history holds, fetched in one query per kind of thing."""

    def __init__(self, records: Iterable[Any]) -> None:
        user_ids: set[int] = set()
        stage_ids: set[int] = set()
        rate_ids: set[int] = set()
        for record in records:
            for name in ("partner_id", "entered_by_id", "decided_by_id"):
                if getattr(record, name, None):
                    user_ids.add(getattr(record, name))
            if getattr(record, "stage_id", None):
                stage_ids.add(record.stage_id)
            if getattr(record, "rate_id", None):
                rate_ids.add(record.rate_id)
        self.users = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "display_name"))
        self.stages = dict(Stage.objects.filter(pk__in=stage_ids).values_list("pk", "name"))
        self.rates = {
            rate.pk: _("%(kind)s £%(amount)s from %(date)s")
            % {
                "kind": rate.get_kind_display(),
                "amount": rate.amount,
                "date": date_format(rate.effective_from, "j F Y"),
            }
            for rate in PaymentRate.objects.filter(pk__in=rate_ids)
        }

    def formatter(self, name: str) -> Callable[[Any], str]:
        lookups: dict[str, Callable[[Any], str]] = {
            "partner": lambda v: self.users.get(v, "—"),
            "entered_by": lambda v: self.users.get(v, "—"),
            "decided_by": lambda v: self.users.get(v, "—"),
            "stage": lambda v: self.stages.get(v, "—"),
            "rate": lambda v: self.rates.get(v, _("a removed rate")) if v else "—",
            "activity_type": _choice(ActivityType),
            "state": _choice(ContributionState),
            "expense_type": _choice(ExpenseType),
            "payment_preference": lambda v: preference_label(v) if v else "—",
            "impact_standards": lambda v: _standards(v) or "—",
            "minutes": lambda v: duration(v) if v is not None else "—",
            "half_day_from_minutes": lambda v: duration(v) if v is not None else "—",
            "day_from_minutes": lambda v: duration(v) if v is not None else "—",
            "kind": _choice(RateKind),
        }
        return lookups.get(name, _shown)


def _raw(record: Any, name: str) -> Any:
    """A field's stored value: the id of a related row rather than the row (no query)."""
    return getattr(record, f"{name}_id") if hasattr(record, f"{name}_id") else getattr(record, name)


def _field_order(change: Any) -> int:
    order = list(LABELS)
    return order.index(change.field) if change.field in order else len(order)


def who(record: Any) -> str:
    user = record.history_user
    return user.display_name if user is not None else _("The portal")


def events_of(
    records: list[Any],
    *,
    names: Names,
    what: Callable[[Any, str], str],
    shown_on_create: Iterable[str],
) -> list[Event]:
    """One event per historical record, with the fields it changed from the record before."""
    events: list[Event] = []
    previous: dict[int, Any] = {}
    for record in records:
        before = previous.get(record.id)
        previous[record.id] = record
        if record.history_type == "-":
            events.append(Event(record.history_date, who(record), what(record, "-")))
        elif record.history_type == "+" or before is None:
            changes = [
                Change(str(LABELS.get(name, name)), "—", names.formatter(name)(_raw(record, name)))
                for name in shown_on_create
            ]
            events.append(Event(record.history_date, who(record), what(record, "+"), changes))
        else:
            delta = record.diff_against(before, excluded_fields=HIDDEN)
            changes = [
                Change(
                    str(LABELS.get(change.field, change.field)),
                    names.formatter(change.field)(change.old),
                    names.formatter(change.field)(change.new),
                )
                for change in sorted(delta.changes, key=_field_order)
            ]
            if changes:
                events.append(Event(record.history_date, who(record), what(record, "~"), changes))
    return events


def _contribution_what(record: Any, kind: str) -> str:
    if kind == "+":
        return _("Contribution recorded")
    if kind == "-":
        return _("Contribution deleted")
    return _("Contribution changed")


def _expense_what(record: Any, kind: str) -> str:
    label = _choice(ExpenseType)(record.expense_type)
    item = _("%(type)s expense of £%(amount)s") % {"type": label, "amount": record.amount}
    if kind == "+":
        return _("Added: %(item)s") % {"item": item}
    if kind == "-":
        return _("Removed: %(item)s") % {"item": item}
    return _("Changed: %(item)s") % {"item": item}


def contribution_events(contribution: Contribution) -> list[Event]:
    records = list(
        Contribution.history.filter(id=contribution.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    expense_records = list(
        ExpenseLine.history.filter(contribution_id=contribution.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    names = Names(records)
    events = events_of(
        records,
        names=names,
        what=_contribution_what,
        shown_on_create=["stage", "activity_type", "activity_date", "minutes", "state"],
    )
    events += events_of(
        expense_records,
        names=names,
        what=_expense_what,
        shown_on_create=["expense_type", "amount", "receipt_name"],
    )
    events.sort(key=lambda event: event.when)
    return events


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
