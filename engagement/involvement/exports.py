"""What the involvement downloads hold: their columns, their rows by date, and their totals.

Each export is the same in CSV and XLSX (``portal.spreadsheets`` writes both). Time is given
in minutes as well as hours, so that sums and pay worked out from the hours come to the
penny; money is a number of pounds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagement.involvement.selectors import with_expenses_total
from engagement.involvement.wording import preference_label, standard_labels
from engagement.models import (
    ActivityType,
    Contribution,
    ContributionState,
    Study,
)
from portal.accounts.models import PaymentPreference
from portal.formatting import hours
from portal.spreadsheets import Column, Kind, Total, Totals, spreadsheet_response


@dataclass(frozen=True)
class Export:
    """A download: a sheet named ``title`` with the rows, and totals for a sheet of their own."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[object]]
    totals: Totals

    def download(self, *, file_format: str, filename: str) -> HttpResponse:
        """The export as a CSV or XLSX file named ``filename`` plus the extension."""
        return spreadsheet_response(
            headers=self.columns,
            rows=self.rows,
            file_format=file_format,
            filename=filename,
            title=self.title,
            totals=self.totals,
        )


@dataclass
class _Tally:
    """Counted while the rows are read, so totals cost no query of their own."""

    count: int = 0
    minutes: int = 0
    due: Decimal = Decimal("0.00")  # approved, not paid yet
    paid: Decimal = Decimal("0.00")

    def add(self, minutes: int, *, state: str = "", payment: Decimal | None = None) -> None:
        self.count += 1
        self.minutes += minutes
        if state == ContributionState.APPROVED:
            self.due += payment or 0
        elif state == ContributionState.PAID:
            self.paid += payment or 0

    def time_totals(self) -> list[Total]:
        return [
            Total(_("Contributions"), self.count, Kind.WHOLE),
            Total(_("Minutes"), self.minutes, Kind.WHOLE),
            Total(_("Hours"), hours(self.minutes), Kind.HOURS),
        ]


def _proxy(entered_by_id: int | None, partner_id: int) -> str:
    return _("Yes") if entered_by_id is not None and entered_by_id != partner_id else _("No")


# --- involvement history (a study's, or a partner's across studies) --------------------------

HISTORY_COLUMNS = (
    Column(gettext_lazy("Date"), Kind.DATE),
    Column(gettext_lazy("Study"), Kind.TEXT),
    Column(gettext_lazy("Stage"), Kind.TEXT),
    Column(gettext_lazy("Partner"), Kind.TEXT),
    Column(gettext_lazy("Activity"), Kind.TEXT),
    Column(gettext_lazy("Minutes"), Kind.WHOLE),
    Column(gettext_lazy("Hours"), Kind.HOURS),
    Column(gettext_lazy("State"), Kind.TEXT),
    Column(gettext_lazy("Entered by proxy"), Kind.TEXT),
    Column(gettext_lazy("What they did"), Kind.TEXT),
    Column(gettext_lazy("What changed"), Kind.TEXT),
)


def _history_rows(queryset: QuerySet[Contribution], tally: _Tally) -> Iterator[tuple[object, ...]]:
    activity = dict(ActivityType.choices)
    state = dict(ContributionState.choices)
    values = queryset.order_by("activity_date", "id").values_list(
        "activity_date",
        "study__title",
        "stage__name",
        "partner__display_name",
        "activity_type",
        "minutes",
        "state",
        "entered_by_id",
        "partner_id",
        "what_they_did",
        "what_changed",
    )
    for (
        date,
        study,
        stage,
        partner,
        kind,
        minutes,
        current,
        entered_by,
        partner_id,
        did,
        changed,
    ) in values.iterator(chunk_size=2000):
        tally.add(minutes)
        yield (
            date,
            study,
            stage,
            partner,
            str(activity.get(kind, kind)),
            minutes,
            hours(minutes),
            str(state.get(current, current)),
            _proxy(entered_by, partner_id),
            did,
            changed,
        )


def history_export(queryset: QuerySet[Contribution], *, title: str) -> Export:
    """The contributions, oldest first, read in chunks with only the columns shown."""
    tally = _Tally()
    return Export(
        title=title,
        columns=HISTORY_COLUMNS,
        rows=_history_rows(queryset, tally),
        totals=tally.time_totals,
    )


# --- a person's own involvement --------------------------------------------------------------

OWN_COLUMNS = (
    Column(gettext_lazy("Date"), Kind.DATE),
    Column(gettext_lazy("Study"), Kind.TEXT),
    Column(gettext_lazy("Stage"), Kind.TEXT),
    Column(gettext_lazy("Activity"), Kind.TEXT),
    Column(gettext_lazy("Minutes"), Kind.WHOLE),
    Column(gettext_lazy("Hours"), Kind.HOURS),
    Column(gettext_lazy("What you did"), Kind.TEXT),
    Column(gettext_lazy("What you hoped to influence"), Kind.TEXT),
    Column(gettext_lazy("What changed"), Kind.TEXT),
    Column(gettext_lazy("UK Standards for Public Involvement"), Kind.TEXT),
    Column(gettext_lazy("State"), Kind.TEXT),
    Column(gettext_lazy("Payment due (£)"), Kind.MONEY),
    Column(gettext_lazy("Paid on"), Kind.DATE),
    Column(gettext_lazy("Entered by proxy"), Kind.TEXT),
)


def _entered_by(contribution: Contribution) -> str:
    if not contribution.by_proxy or contribution.entered_by is None:
        return ""
    return _("Entered by %(by)s on behalf of %(partner)s") % {
        "by": contribution.entered_by.display_name or contribution.entered_by,
        "partner": contribution.partner.display_name or contribution.partner,
    }


def _own_rows(queryset: QuerySet[Contribution], tally: _Tally) -> Iterator[tuple[object, ...]]:
    for contribution in queryset.order_by("activity_date", "id").iterator(chunk_size=2000):
        tally.add(contribution.minutes, state=contribution.state, payment=contribution.payment_due)
        yield (
            contribution.activity_date,
            contribution.study.title,
            contribution.stage.name,
            contribution.get_activity_type_display(),
            contribution.minutes,
            hours(contribution.minutes),
            contribution.what_they_did,
            contribution.hoped_to_influence,
            contribution.what_changed,
            "; ".join(standard_labels(contribution.impact_standards)),
            contribution.get_state_display(),
            contribution.payment_due,
            contribution.paid_on,
            _entered_by(contribution),
        )


def own_export(queryset: QuerySet[Contribution]) -> Export:
    """A person's own contributions, oldest first, with what is due and paid to them."""
    tally = _Tally()

    def totals() -> list[Total]:
        return [
            *tally.time_totals(),
            Total(_("Payment due, not paid yet (£)"), tally.due, Kind.MONEY),
            Total(_("Paid (£)"), tally.paid, Kind.MONEY),
        ]

    return Export(
        title=_("Your involvement"),
        columns=OWN_COLUMNS,
        rows=_own_rows(queryset, tally),
        totals=totals,
    )


# --- the finance export ----------------------------------------------------------------------


class FinanceBasis:
    ACTIVITY = "activity"
    PAID = "paid"


def finance_columns(basis: str) -> tuple[Column, ...]:
    """The same columns by either basis; by payment date the amounts are what was paid."""
    by_paid = basis == FinanceBasis.PAID
    return (
        Column(gettext_lazy("Partner"), Kind.TEXT),
        Column(gettext_lazy("Email"), Kind.TEXT),
        Column(gettext_lazy("Payment preference"), Kind.TEXT),
        Column(gettext_lazy("Method"), Kind.TEXT),
        Column(gettext_lazy("Stage"), Kind.TEXT),
        Column(gettext_lazy("Activity"), Kind.TEXT),
        Column(gettext_lazy("Activity date"), Kind.DATE),
        Column(gettext_lazy("Minutes"), Kind.WHOLE),
        Column(gettext_lazy("Hours"), Kind.HOURS),
        Column(gettext_lazy("Rate"), Kind.TEXT),
        Column(gettext_lazy("Rate (£)"), Kind.MONEY),
        Column(
            gettext_lazy("Amount paid (£)") if by_paid else gettext_lazy("Amount due (£)"),
            Kind.MONEY,
        ),
        Column(gettext_lazy("State"), Kind.TEXT),
        Column(gettext_lazy("Paid on"), Kind.DATE),
        Column(gettext_lazy("Payment reference"), Kind.TEXT),
        Column(
            gettext_lazy("Expenses reimbursed (£)") if by_paid else gettext_lazy("Expenses (£)"),
            Kind.MONEY,
        ),
        Column(gettext_lazy("Expenses paid on"), Kind.DATE),
        Column(gettext_lazy("Expenses reference"), Kind.TEXT),
    )


def _method(preference: str) -> str:
    if preference == PaymentPreference.DECLINE:
        return _("None (declined)")
    if preference == PaymentPreference.VOUCHERS:
        return _("Vouchers")
    return _("Bank transfer")


@dataclass(frozen=True)
class _FinanceLine:
    contribution: Contribution
    # What the row counts: by payment date, only what was paid in the period.
    fee: Decimal | None
    paid_on: dt.date | None
    reference: str
    expenses: Decimal | None
    expenses_paid_on: dt.date | None
    expenses_reference: str

    @property
    def first_date(self) -> dt.date:
        dates = [d for d in (self.paid_on, self.expenses_paid_on) if d is not None]
        return min(dates, default=self.contribution.activity_date)

    def row(self) -> tuple[object, ...]:
        c = self.contribution
        return (
            c.partner.display_name,
            c.partner.email,
            preference_label(c.payment_preference),
            _method(c.payment_preference),
            c.stage.name,
            c.get_activity_type_display(),
            c.activity_date,
            c.minutes,
            hours(c.minutes),
            c.rate.get_kind_display() if c.rate else "",
            c.rate.amount if c.rate else None,
            self.fee,
            c.get_state_display(),
            self.paid_on,
            self.reference,
            self.expenses,
            self.expenses_paid_on,
            self.expenses_reference,
        )


def _line(c: Contribution, start: dt.date, end: dt.date, basis: str) -> _FinanceLine:
    claimed: Decimal | None = c.expenses_total  # type: ignore[attr-defined]
    if basis != FinanceBasis.PAID:
        return _FinanceLine(
            c,
            c.payment_due,
            c.paid_on,
            c.payment_reference,
            claimed,
            c.expenses_paid_on,
            c.expenses_reference,
        )
    fee_paid = c.paid_on is not None and start <= c.paid_on <= end
    expenses_paid = c.expenses_paid_on is not None and start <= c.expenses_paid_on <= end
    return _FinanceLine(
        c,
        c.payment_due if fee_paid else None,
        c.paid_on if fee_paid else None,
        c.payment_reference if fee_paid else "",
        claimed if expenses_paid else None,
        c.expenses_paid_on if expenses_paid else None,
        c.expenses_reference if expenses_paid else "",
    )


def _money_sum(values: Iterable[Decimal | None]) -> Decimal:
    return sum((value for value in values if value is not None), Decimal("0.00"))


def finance_export(*, study: Study, start: dt.date, end: dt.date, basis: str) -> Export:
    """One row per approved or paid contribution in the period, for finance.

    By activity date (for a funder): what is due for involvement in the period, with when
    it was paid. By payment date (for finance closing a month): only payments and
    reimbursements marked paid on a date in the period; the time of a contribution whose
    expenses alone were reimbursed in the period is left empty, and so are expenses
    reimbursed outside it. Rows are in date order: by activity date, or by the first
    payment in the period.
    """
    by_paid = basis == FinanceBasis.PAID
    in_period = (
        Q(paid_on__range=(start, end)) | Q(expenses_paid_on__range=(start, end))
        if by_paid
        else Q(activity_date__range=(start, end))
    )
    contributions = (
        with_expenses_total(
            Contribution.objects.filter(
                in_period,
                study=study,
                state__in=[ContributionState.APPROVED, ContributionState.PAID],
            )
        )
        .select_related("rate")
        .order_by("activity_date", "id")
    )
    lines = [_line(c, start, end, basis) for c in contributions]
    if by_paid:
        lines.sort(key=lambda line: line.first_date)
    tally = _Tally()
    for line in lines:
        tally.add(line.contribution.minutes)
    fees = _money_sum(line.fee for line in lines)
    expenses = _money_sum(line.expenses for line in lines)
    period = [
        Total(_("From"), start, Kind.DATE),
        Total(_("To"), end, Kind.DATE),
        Total(
            _("Dates that decide the period"),
            _("When it was paid") if by_paid else _("When the involvement happened"),
            Kind.TEXT,
        ),
        *tally.time_totals(),
    ]
    if by_paid:
        money = [
            Total(_("Paid for time (£)"), fees, Kind.MONEY),
            Total(_("Expenses reimbursed (£)"), expenses, Kind.MONEY),
            Total(_("Paid in all (£)"), fees + expenses, Kind.MONEY),
        ]
    else:
        money = [
            Total(_("Amount due (£)"), fees, Kind.MONEY),
            Total(
                _("Of which paid (£)"),
                _money_sum(line.fee for line in lines if line.paid_on is not None),
                Kind.MONEY,
            ),
            Total(_("Expenses (£)"), expenses, Kind.MONEY),
            Total(
                _("Of which reimbursed (£)"),
                _money_sum(line.expenses for line in lines if line.expenses_paid_on),
                Kind.MONEY,
            ),
        ]
    return Export(
        title=_("Payments by payment date") if by_paid else _("Payments by activity date"),
        columns=finance_columns(basis),
        rows=[line.row() for line in lines],
        totals=[*period, *money],
    )
