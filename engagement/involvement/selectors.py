"""Reads for involvement: history (a study's stage × partner table, a partner across
studies), a person's own involvement, approvals and payments. What the downloads hold is in
``exports``.

Everything here aggregates in SQL and returns at most one page of rows, so the number of
queries and the rows read do not grow with the number of contributions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from engagement.models import (
    ActivityType,
    Contribution,
    ContributionState,
    Membership,
    PaymentPolicy,
    PaymentRate,
    RateKind,
    Stage,
    Study,
)
from portal.accounts.models import User
from portal.formatting import duration
from portal.permissions import Role, team_roles

# Drafts are the partner's own until they submit them; history shows the rest.
HISTORY_STATES: tuple[str, ...] = (
    ContributionState.SUBMITTED,
    ContributionState.RETURNED,
    ContributionState.APPROVED,
    ContributionState.PAID,
)
# The chart shows at most this many months, the latest ones.
CHART_MONTHS = 24


@dataclass(frozen=True)
class HistoryFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    stage_id: int | None = None
    study_id: int | None = None
    activity_type: str = ""
    state: str = ""

    def apply(self, queryset: QuerySet[Contribution]) -> QuerySet[Contribution]:
        if self.date_from:
            queryset = queryset.filter(activity_date__gte=self.date_from)
        if self.date_to:
            queryset = queryset.filter(activity_date__lte=self.date_to)
        if self.stage_id:
            queryset = queryset.filter(stage_id=self.stage_id)
        if self.study_id:
            queryset = queryset.filter(study_id=self.study_id)
        if self.activity_type in ActivityType.values:
            queryset = queryset.filter(activity_type=self.activity_type)
        if self.state in HISTORY_STATES:
            queryset = queryset.filter(state=self.state)
        else:
            queryset = queryset.filter(state__in=HISTORY_STATES)
        return queryset

    @property
    def is_set(self) -> bool:
        return any(
            (
                self.date_from,
                self.date_to,
                self.stage_id,
                self.study_id,
                self.activity_type,
                self.state,
            )
        )


# --- one study -------------------------------------------------------------------------


def study_contributions(*, study: Study, filters: HistoryFilters) -> QuerySet[Contribution]:
    """The study's contributions that match, newest first, ready to be paginated."""
    return (
        filters.apply(Contribution.objects.filter(study=study))
        .select_related("partner", "stage", "entered_by")
        .order_by("-activity_date", "-id")
    )


@dataclass
class Cell:
    count: int = 0
    minutes: int = 0

    @property
    def html(self) -> SafeString:
        """As a table cell shows it: "2", and under it "(1 h 30 min)"; "0" where there is
        nothing. The time has a line of its own and may wrap between hours and minutes, so
        eight stages still fit a laptop's width."""
        if not self.count:
            return format_html("{}", 0)
        return format_html(
            '{}<br><span class="small text-wrap">({})</span>', self.count, duration(self.minutes)
        )


@dataclass
class PartnerRow:
    partner: User
    cells: list[Cell]
    total: Cell

    @property
    def cells_html(self) -> SafeString:
        """The row's cells, stage by stage then the total, rendered at once: a study's table
        has partners × stages cells, and one template node per cell is most of a page's time."""
        key = self.partner.pk
        return format_html_join(
            "",
            '<td class="text-end" data-cell="{}-{}">{}</td>',
            [(key, i, cell.html) for i, cell in enumerate(self.cells)]
            + [(key, "total", self.total.html)],
        )


@dataclass
class StageColumn:
    stage: Stage
    total: Cell

    @property
    def is_empty(self) -> bool:
        return self.total.count == 0


@dataclass
class StagePartnerTable:
    stages: list[StageColumn]
    rows: list[PartnerRow]
    total: Cell

    @property
    def empty_stages(self) -> list[Stage]:
        return [column.stage for column in self.stages if column.is_empty]


def study_partners(study: Study, extra_ids: Iterable[int] = ()) -> list[User]:
    """Everyone who is or was a partner of the study, and anyone else with involvement in it."""
    return list(
        User.objects.filter(
            Q(memberships__study=study, memberships__role=Role.PARTNER) | Q(pk__in=list(extra_ids))
        )
        .distinct()
        .only("pk", "display_name")
        .order_by("display_name", "pk")
    )


def stage_partner_table(*, study: Study, filters: HistoryFilters) -> StagePartnerTable:
    """Counts and time per partner and stage, in the study's stage order, with totals.

    Three queries: the stages, the sums per (partner, stage), the partners.
    """
    stages = list(Stage.objects.filter(study=study).order_by("position", "id"))
    sums = (
        filters.apply(Contribution.objects.filter(study=study))
        .order_by()
        .values("partner_id", "stage_id")
        .annotate(n=Count("id"), minutes=Sum("minutes"))
    )
    by_key = {(row["partner_id"], row["stage_id"]): row for row in sums}
    partners = study_partners(study, {partner_id for partner_id, _stage in by_key})
    columns = [StageColumn(stage=stage, total=Cell()) for stage in stages]
    total = Cell()
    rows = []
    for partner in partners:
        cells = []
        row_total = Cell()
        for column in columns:
            found = by_key.get((partner.pk, column.stage.pk))
            cell = Cell(found["n"], found["minutes"] or 0) if found else Cell()
            cells.append(cell)
            for target in (row_total, column.total, total):
                target.count += cell.count
                target.minutes += cell.minutes
        rows.append(PartnerRow(partner=partner, cells=cells, total=row_total))
    return StagePartnerTable(stages=columns, rows=rows, total=total)


# --- the chart's figures ------------------------------------------------------------------


@dataclass
class StageSeries:
    stage: Stage
    minutes: list[int]

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes)


@dataclass
class MonthlyByStage:
    months: list[dt.date]
    series: list[StageSeries]
    truncated: bool = False
    rows: list[tuple[dt.date, SafeString]] = field(default_factory=list)

    @property
    def max_minutes(self) -> int:
        return max((m for s in self.series for m in s.minutes), default=0)


def _month_range(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield dt.date(year, month, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def monthly_by_stage(
    *, study: Study, filters: HistoryFilters, stages: list[Stage]
) -> MonthlyByStage:
    """Minutes per month for each stage (one query), over the latest CHART_MONTHS months."""
    return monthly_minutes(filters.apply(Contribution.objects.filter(study=study)), stages)


def monthly_minutes(
    contributions: QuerySet[Contribution],
    stages: list[Stage],
    *,
    months_kept: int = CHART_MONTHS,
    only_with_involvement: bool = False,
    cell_class: str = "text-end",
) -> MonthlyByStage:
    """Minutes per month for each stage of these contributions (one query), over the latest
    ``months_kept`` months; ``only_with_involvement`` leaves out stages with none."""
    sums = (
        contributions.order_by()
        .annotate(month=TruncMonth("activity_date"))
        .values("month", "stage_id")
        .annotate(minutes=Sum("minutes"))
    )
    found = {(_as_date(row["month"]), row["stage_id"]): row["minutes"] or 0 for row in sums}
    if not found:
        return MonthlyByStage(months=[], series=[StageSeries(s, []) for s in stages])
    present = sorted({month for month, _stage in found})
    months = list(_month_range(present[0], present[-1]))
    truncated = len(months) > months_kept
    months = months[-months_kept:]
    series = [
        StageSeries(stage, [found.get((month, stage.pk), 0) for month in months])
        for stage in stages
    ]
    if only_with_involvement:
        series = [s for s in series if s.total_minutes]
    # Each month's cells rendered at once (stages, then the total), as for the table above.
    cell = format_html('<td class="{}">{{}}</td>', cell_class)
    rows = [
        (
            month,
            format_html_join(
                "",
                cell,
                [(duration(s.minutes[i]),) for s in series]
                + [(duration(sum(s.minutes[i] for s in series)),)],
            ),
        )
        for i, month in enumerate(months)
    ]
    return MonthlyByStage(months=months, series=series, truncated=truncated, rows=rows)


# --- one partner across studies -------------------------------------------------------------


def team_study_ids(viewer: User) -> list[int]:
    """The studies where the viewer is currently a researcher or coordinator."""
    return list(
        Membership.objects.filter(user=viewer, role__in=team_roles(), left_on__isnull=True)
        .order_by("study_id")
        .values_list("study_id", flat=True)
        .distinct()
    )


def partner_study_choices(*, partner_id: int, study_ids: list[int]) -> list[tuple[int, str]]:
    """The partner's studies among the viewer's, as (id, title) for a filter."""
    return list(
        Study.objects.filter(pk__in=study_ids, contributions__partner_id=partner_id)
        .distinct()
        .order_by("title", "pk")
        .values_list("pk", "title")
    )


def partner_contributions(
    *, partner_id: int, study_ids: list[int], filters: HistoryFilters
) -> QuerySet[Contribution]:
    """The partner's contributions in the given studies only, newest first."""
    return (
        filters.apply(Contribution.objects.filter(partner_id=partner_id, study_id__in=study_ids))
        .select_related("study", "stage", "entered_by")
        .order_by("-activity_date", "-id")
    )


@dataclass
class StageTotal:
    name: str
    count: int
    minutes: int


@dataclass
class StudyTotal:
    study_id: int
    title: str
    stages: list[StageTotal]
    count: int = 0
    minutes: int = 0


def partner_totals(
    *, partner_id: int, study_ids: list[int], filters: HistoryFilters
) -> tuple[list[StudyTotal], Cell]:
    """Per study, and per stage within it (in stage order), the count and time; one query."""
    rows = (
        filters.apply(Contribution.objects.filter(partner_id=partner_id, study_id__in=study_ids))
        .order_by()
        .values("study_id", "study__title", "stage_id", "stage__name", "stage__position")
        .annotate(n=Count("id"), minutes=Sum("minutes"))
        .order_by("study__title", "study_id", "stage__position", "stage_id")
    )
    studies: dict[int, StudyTotal] = {}
    grand = Cell()
    for row in rows:
        study = studies.setdefault(
            row["study_id"], StudyTotal(row["study_id"], row["study__title"], [])
        )
        minutes = row["minutes"] or 0
        study.stages.append(StageTotal(row["stage__name"], row["n"], minutes))
        study.count += row["n"]
        study.minutes += minutes
        grand.count += row["n"]
        grand.minutes += minutes
    return list(studies.values()), grand


# --- a person's own involvement --------------------------------------------------------------


@dataclass(frozen=True)
class OwnInvolvementScope:
    """What "Your involvement" can be filtered by: the person's studies and their stages."""

    memberships: list[Membership]
    current_study_ids: set[int]
    studies: QuerySet[Study]
    stage_names: list[str]


def own_involvement_scope(user: User) -> OwnInvolvementScope:
    """The person's current memberships, and every study they are in or contributed to."""
    memberships = list(
        Membership.objects.filter(user=user, left_on__isnull=True)
        .select_related("study")
        .order_by("study__title", "study_id")
    )
    current_ids = {m.study_id for m in memberships}
    # Two indexed lookups rather than an OR across a join over every contribution.
    study_ids = current_ids | set(
        Contribution.objects.filter(partner=user).values_list("study_id", flat=True).distinct()
    )
    stage_names = sorted(
        set(Stage.objects.filter(study_id__in=study_ids).values_list("name", flat=True)),
        key=str.lower,
    )
    return OwnInvolvementScope(
        memberships=memberships,
        current_study_ids=current_ids,
        studies=Study.objects.filter(pk__in=study_ids).order_by("title", "id"),
        stage_names=stage_names,
    )


def current_coordinators(study: Study) -> list[User]:
    """The study's current coordinators, by name: those who approve and pay."""
    return list(
        User.objects.filter(
            memberships__study=study,
            memberships__role=Role.COORDINATOR,
            memberships__left_on__isnull=True,
        )
        .distinct()
        .order_by("display_name", "id")
    )


def current_partners(study: Study) -> QuerySet[User]:
    """The study's current partners, by name: those a coordinator may record involvement for."""
    return User.objects.filter(
        memberships__study=study,
        memberships__role=Role.PARTNER,
        memberships__left_on__isnull=True,
    ).order_by("display_name", "id")


def own_contributions(user: User) -> QuerySet[Contribution]:
    """A person's own contributions in every study, with what their pages show."""
    return Contribution.objects.filter(partner=user).select_related(
        "study", "stage", "entered_by", "partner"
    )


def own_filtered(queryset: QuerySet[Contribution], data: dict[str, Any]) -> QuerySet[Contribution]:
    """Only what the filters of "Your involvement" let through."""
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


def involvement_totals(queryset: QuerySet[Contribution]) -> dict[str, Any]:
    """Minutes, activities and payments of what is filtered, in one query."""
    totals = queryset.aggregate(
        activities=Count("id"),
        minutes=Sum("minutes"),
        due=Sum("payment_due", filter=Q(state=ContributionState.APPROVED)),
        paid=Sum("payment_due", filter=Q(state=ContributionState.PAID)),
    )
    totals["minutes"] = totals["minutes"] or 0
    totals["due"] = totals["due"] or Decimal("0.00")
    totals["paid"] = totals["paid"] or Decimal("0.00")
    return totals


def involvement_group_totals(queryset: QuerySet[Contribution]) -> list[dict[str, Any]]:
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
    return list(rows)


# --- approvals and payments -----------------------------------------------------------------


def policy_for(study: Study) -> PaymentPolicy:
    """The study's payment policy; every study has one from the day it is created."""
    return PaymentPolicy.objects.get(study=study)


def rate_in_force(policy: PaymentPolicy, kind: str, on: dt.date) -> PaymentRate | None:
    """The rate of that kind in force on the date: the latest one that took effect by then."""
    return (
        PaymentRate.objects.filter(policy=policy, kind=kind, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )


def with_expenses_total(contributions: QuerySet[Contribution]) -> QuerySet[Contribution]:
    """Contributions with their partner, stage and proxy, and the sum of their expenses."""
    return contributions.select_related("partner", "stage", "entered_by").annotate(
        expenses_total=Sum("expenses__amount")
    )


def contributions_waiting(study: Study) -> list[Contribution]:
    """What waits for approval in the study, the longest waiting first."""
    return list(
        with_expenses_total(
            Contribution.objects.filter(study=study, state=ContributionState.SUBMITTED)
        ).order_by("submitted_at", "id")
    )


def contributions_chosen(study: Study, ids: Iterable[int]) -> list[Contribution]:
    """The study's contributions among those ids, in the order they were submitted."""
    return list(
        Contribution.objects.filter(study=study, pk__in=list(ids))
        .select_related("partner")
        .order_by("submitted_at", "id")
    )


def payments_due(study: Study) -> list[Contribution]:
    """Approved contributions whose time is still to be paid, oldest activity first."""
    return list(
        with_expenses_total(
            Contribution.objects.filter(study=study, state=ContributionState.APPROVED)
        ).order_by("activity_date", "id")
    )


def reimbursements_due(study: Study) -> list[Contribution]:
    """Approved or paid contributions whose expenses are still to be reimbursed."""
    return list(
        with_expenses_total(
            Contribution.objects.filter(
                study=study,
                state__in=[ContributionState.APPROVED, ContributionState.PAID],
                expenses_paid_on__isnull=True,
            )
        )
        .filter(expenses_total__gt=0)  # type: ignore[misc]
        .order_by("activity_date", "id")
    )


def payments_made(study: Study) -> QuerySet[Contribution]:
    """Paid contributions, newest payment first, for paging through."""
    return with_expenses_total(
        Contribution.objects.filter(study=study, state=ContributionState.PAID)
    ).order_by("-paid_on", "-id")


def rate_is_used(rate: PaymentRate) -> bool:
    """Whether an approved contribution was paid at this rate."""
    return Contribution.objects.filter(rate=rate).exists()


def policy_rates(policy: PaymentPolicy) -> list[PaymentRate]:
    """The policy's rates by kind, newest first, each marked in force, used or future."""
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
