"""The audit trail of contributions, expenses and payment policies, as people read it.

Every change is kept by django-simple-history; this turns those records into events
("Contribution changed", by whom, when) with each changed field's label and its value
before and after, names looked up once per page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from engagement.involvement.wording import preference_label
from engagement.models import (
    ActivityType,
    Contribution,
    ContributionState,
    ExpenseLine,
    ExpenseType,
    ImpactStandard,
    PaymentPolicy,
    PaymentRate,
    RateKind,
    Stage,
)
from portal.accounts.models import User
from portal.formatting import duration, money


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
            rate.pk: _("%(kind)s %(amount)s from %(date)s")
            % {
                "kind": rate.get_kind_display(),
                "amount": money(rate.amount),
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
    item = _("%(type)s expense of %(amount)s") % {"type": label, "amount": money(record.amount)}
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


# --- payment policies -------------------------------------------------------------------


def _rate_what(record: Any, kind: str) -> str:
    rate = _("%(kind)s rate of %(amount)s from %(date)s") % {
        "kind": RateKind(record.kind).label if record.kind in RateKind.values else record.kind,
        "amount": money(record.amount),
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
