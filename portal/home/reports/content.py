"""What a study's involvement report (GRIPP2-SF) says, read from the records.

Only approved and paid contributions count. Every figure is aggregated in SQL and the whole
report takes a fixed number of queries, however many partners and contributions there are.
A partner who asked not to be named ("anonymous in reports") is never named here: only
``Partner.name`` leaves this module, and for them it is "Public partner 1", "Public partner 2"…
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Case, Count, Exists, F, OuterRef, QuerySet, Sum, Value, When
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from documents.models import Comment, Outcome, ThreadState
from documents.wording import answer_outcome
from engagement.involvement.charts import involvement_by_stage_chart
from engagement.involvement.selectors import MonthlyByStage, monthly_minutes
from engagement.models import (
    ActivityType,
    Contribution,
    ContributionState,
    ImpactStandard,
    Membership,
    Stage,
    Study,
)
from portal.accounts.naming import asked_not_to_be_named, name_seen, public_partner
from portal.formatting import duration
from portal.home.models import StudyReport
from portal.permissions import Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

COUNTED = (ContributionState.APPROVED, ContributionState.PAID)
CHANGES = (Outcome.CHANGED, Outcome.PARTLY_CHANGED)
NOT_ANSWERED = "not_answered"
# Answered, then reopened by the partner who made the comment: a new answer is due.
REOPENED = "reopened"
# The chart shows at most this many months, the latest ones; its table shows them all.
CHART_MONTHS = 60
QUOTE_WORDS = 30
PDF_FONT = "Atkinson Hyperlegible, sans-serif"

# The five GRIPP2 short-form sections, in order: the field and its heading.
SECTIONS: tuple[tuple[str, StrOrPromise], ...] = (
    ("aim", gettext_lazy("1. Aim of involvement")),
    ("methods", gettext_lazy("2. Methods")),
    ("results", gettext_lazy("3. Results and outcomes")),
    ("discussion", gettext_lazy("4. Discussion: the extent of influence")),
    ("reflections", gettext_lazy("5. Reflections")),
)
SECTION_FIELDS: tuple[str, ...] = tuple(name for name, _heading in SECTIONS)


@dataclass(frozen=True)
class Period:
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def is_set(self) -> bool:
        return bool(self.start or self.end)

    @property
    def text(self) -> str:
        if self.start and self.end:
            return _("%(start)s to %(end)s") % {
                "start": date_format(self.start, "j F Y"),
                "end": date_format(self.end, "j F Y"),
            }
        if self.start:
            return _("from %(start)s") % {"start": date_format(self.start, "j F Y")}
        if self.end:
            return _("up to %(end)s") % {"end": date_format(self.end, "j F Y")}
        return _("all recorded involvement")


@dataclass
class Cell:
    count: int = 0
    minutes: int = 0

    def add(self, count: int, minutes: int) -> None:
        self.count += count
        self.minutes += minutes


@dataclass
class StageRow:
    name: str
    cells: list[Cell]
    total: Cell


@dataclass
class StageActivityTable:
    activities: list[str]  # the activity types with involvement, as labels
    unused: list[str]  # those without, named under the table
    rows: list[StageRow]
    totals: list[Cell]
    total: Cell


@dataclass
class Partner:
    name: str
    named: bool
    count: int
    minutes: int


@dataclass
class OutcomeCount:
    value: str
    label: str
    count: int


@dataclass
class Change:
    document: str
    version: int
    quote: str
    what_we_did: str
    outcome: str
    changed_in: int | None


@dataclass
class StandardImpact:
    value: str
    label: str
    count: int
    what_changed: list[str]
    # Changes recorded beyond those listed: a large study's report stays readable and quick.
    more: int = 0


@dataclass
class Chart:
    data: MonthlyByStage  # the stages with involvement in the period
    svg: SafeString  # for the page
    pdf_svg: SafeString  # for the PDF: the same chart in the PDF's font
    alt: str
    quiet_stages: list[str] = field(default_factory=list)  # those without

    @property
    def pdf_src(self) -> str:
        encoded = base64.b64encode(str(self.pdf_svg).encode()).decode("ascii")
        return f"data:image/svg+xml;base64,{encoded}"


@dataclass
class ReportContent:
    study: Study
    period: Period
    narrative: dict[str, str]
    table: StageActivityTable
    partners: list[Partner]
    outcomes: list[OutcomeCount]
    changes: list[Change]
    standards: list[StandardImpact]
    untagged: int
    chart: Chart
    sections: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def total(self) -> Cell:
        return self.table.total

    @property
    def has_involvement(self) -> bool:
        return self.table.total.count > 0

    @property
    def comments(self) -> int:
        return sum(line.count for line in self.outcomes)

    @property
    def anonymous(self) -> int:
        return sum(1 for partner in self.partners if not partner.named)

    @property
    def summary(self) -> str:
        return report_summary(self)


def counted(study: Study, period: Period) -> QuerySet[Contribution]:
    """The study's approved and paid contributions in the period."""
    queryset = Contribution.objects.filter(study=study, state__in=COUNTED)
    if period.start:
        queryset = queryset.filter(activity_date__gte=period.start)
    if period.end:
        queryset = queryset.filter(activity_date__lte=period.end)
    return queryset.order_by()


def _stage_activity(
    contributions: QuerySet[Contribution], stages: list[Stage]
) -> StageActivityTable:
    sums = contributions.values("stage_id", "activity_type").annotate(
        n=Count("id"), minutes=Sum("minutes")
    )
    found = {(row["stage_id"], row["activity_type"]): row for row in sums}
    used = {activity for _stage, activity in found}
    kinds = [(value, str(label)) for value, label in ActivityType.choices if value in used]
    totals = [Cell() for _kind in kinds]
    total = Cell()
    rows = []
    # A stage removed from the list cannot have contributions (it is protected), but a stage
    # of another order could: the study's own stages, in its order, are the rows.
    for stage in stages:
        cells = []
        row_total = Cell()
        for index, (value, _label) in enumerate(kinds):
            row = found.get((stage.pk, value))
            cell = Cell(row["n"], row["minutes"] or 0) if row else Cell()
            cells.append(cell)
            for target in (row_total, totals[index], total):
                target.add(cell.count, cell.minutes)
        rows.append(StageRow(name=stage.name, cells=cells, total=row_total))
    unused = [str(label) for value, label in ActivityType.choices if value not in used]
    return StageActivityTable(
        activities=[label for _value, label in kinds],
        unused=unused,
        rows=rows,
        totals=totals,
        total=total,
    )


def _partners(contributions: QuerySet[Contribution]) -> list[Partner]:
    """Who took part, with their time: named partners by name, the others numbered."""
    rows = (
        contributions.values(
            "partner_id",
            "partner__display_name",
            "partner__former_number",
            "partner__profile__acknowledgement",
        )
        .annotate(n=Count("id"), minutes=Sum("minutes"))
        .order_by("-minutes", "partner_id")
    )
    named: list[Partner] = []
    anonymous: list[Partner] = []
    for row in rows:
        minutes = row["minutes"] or 0
        display_name = row["partner__display_name"]
        former = row["partner__former_number"]
        acknowledgement = row["partner__profile__acknowledgement"]
        if asked_not_to_be_named(former_number=former, acknowledgement=acknowledgement):
            # The number says nothing about who they are: it follows their time given.
            name = public_partner(len(anonymous) + 1)
            anonymous.append(Partner(name=name, named=False, count=row["n"], minutes=minutes))
        else:
            # A former partner is listed by the number their erasure gave them.
            name = name_seen(display_name=display_name, former_number=former)
            named.append(Partner(name=name, named=True, count=row["n"], minutes=minutes))
    named.sort(key=lambda partner: partner.name.lower())
    return named + anonymous


def partner_threads(study: Study, period: Period) -> QuerySet[Comment]:
    """Conversations partners started on the study's documents in the period (not withdrawn)."""
    is_partner = Membership.objects.filter(
        study=study, user_id=OuterRef("author_id"), role=Role.PARTNER
    )
    queryset = Comment.objects.filter(
        Exists(is_partner),
        version__document__study=study,
        parent__isnull=True,
        withdrawn_at__isnull=True,
    )
    if period.start:
        queryset = queryset.filter(created_at__date__gte=period.start)
    if period.end:
        queryset = queryset.filter(created_at__date__lte=period.end)
    return queryset.order_by()


def _outcomes(threads: QuerySet[Comment]) -> list[OutcomeCount]:
    """How many conversations ended in each outcome; only published answers count."""
    rows = (
        threads.annotate(
            answer=Case(
                # An answer stays published when its partner reopens the conversation.
                When(
                    state=ThreadState.OPEN,
                    response__published_at__isnull=False,
                    then=Value(REOPENED),
                ),
                When(response__published_at__isnull=False, then=F("response__outcome")),
                default=Value(NOT_ANSWERED),
            )
        )
        .values("answer")
        .annotate(n=Count("id"))
    )
    found = {row["answer"]: row["n"] for row in rows}
    lines = [
        OutcomeCount(value, str(label), found.get(value, 0)) for value, label in Outcome.choices
    ]
    lines.append(
        OutcomeCount(
            REOPENED,
            _("Reopened by the partner, waiting for a new answer"),
            found.get(REOPENED, 0),
        )
    )
    lines.append(OutcomeCount(NOT_ANSWERED, _("Not answered yet"), found.get(NOT_ANSWERED, 0)))
    return lines


def _changes(threads: QuerySet[Comment]) -> list[Change]:
    """What the team changed because of partners' comments, document by document."""
    answered = (
        threads.filter(response__published_at__isnull=False, response__outcome__in=CHANGES)
        .select_related("version__document", "response__changed_in")
        .only(
            "quote",
            "body",
            "state",
            "version__number",
            "version__document__title",
            "response__outcome",
            "response__body",
            "response__changed_in__number",
        )
        .order_by("version__document__title", "version__document_id", "created_at", "id")
    )
    changes = []
    for comment in answered:
        response = comment.response
        quote = comment.quote or Truncator(comment.body).words(QUOTE_WORDS)
        changes.append(
            Change(
                document=comment.version.document.title,
                version=comment.version.number,
                quote=quote,
                what_we_did=response.body,
                outcome=answer_outcome(response.outcome, comment.state),
                changed_in=response.changed_in.number if response.changed_in else None,
            )
        )
    return changes


CHANGES_LISTED = 40


def _standards(contributions: QuerySet[Contribution]) -> tuple[list[StandardImpact], int]:
    """Contributions tagged with each UK Standard, with what changed; and those untagged."""
    lines = {
        value: StandardImpact(value, str(label), 0, []) for value, label in ImpactStandard.choices
    }
    untagged = 0
    rows = contributions.values_list("impact_standards", "what_changed").order_by(
        "activity_date", "id"
    )
    for standards, what_changed in rows.iterator(chunk_size=2000):
        tagged = [value for value in dict.fromkeys(standards or []) if value in lines]
        if not tagged:
            untagged += 1
        text = (what_changed or "").strip()
        for value in tagged:
            line = lines[value]
            line.count += 1
            if text and len(line.what_changed) < CHANGES_LISTED:
                line.what_changed.append(text)
            elif text:
                line.more += 1
    return list(lines.values()), untagged


def _monthly(contributions: QuerySet[Contribution], stages: list[Stage]) -> MonthlyByStage:
    # Only the stages with involvement: the report names the others in a sentence.
    return monthly_minutes(
        contributions,
        stages,
        months_kept=CHART_MONTHS,
        only_with_involvement=True,
        cell_class="text-end number",
    )


def _chart(data: MonthlyByStage, stages: list[Stage]) -> Chart:
    title = _("Involvement by stage over time")
    shown = {series.stage.pk for series in data.series}
    if data.months:
        in_all = "; ".join(
            _("%(stage)s: %(time)s") % {"stage": s.stage.name, "time": duration(s.total_minutes)}
            for s in data.series
            if s.total_minutes
        )
        first, last = data.months[0], data.months[-1]
        when = (
            _("in %(month)s") % {"month": date_format(first, "F Y")}
            if first == last
            else _("from %(first)s to %(last)s")
            % {"first": date_format(first, "F Y"), "last": date_format(last, "F Y")}
        )
        alt = _(
            "Bar chart of the time given each month, one strip per stage, %(when)s. "
            "In all: %(stages)s. The table after the chart gives the figures month by month."
        ) % {"when": when, "stages": in_all}
    else:
        alt = _("No involvement to show over time.")
    description = _(
        "Time given each month, one strip of bars per stage, all on the same scale. The "
        "table after the chart gives the same figures."
    )
    return Chart(
        data=data,
        svg=involvement_by_stage_chart(data, title=title, description=description),
        pdf_svg=involvement_by_stage_chart(
            data, title=title, description=alt, chart_id="report-chart", font_family=PDF_FONT
        ),
        alt=alt,
        quiet_stages=[stage.name for stage in stages if stage.pk not in shown]
        if data.months
        else [],
    )


def report_for(study: Study) -> StudyReport:
    """The study's saved narrative, or a new empty one (not saved until someone writes)."""
    return StudyReport.objects.filter(study=study).first() or StudyReport(study=study)


def report_content(
    study: Study, period: Period, report: StudyReport | None = None
) -> ReportContent:
    """Everything the report shows, in a fixed number of queries."""
    if report is None:
        report = report_for(study)
    stages = list(Stage.objects.filter(study=study).order_by("position", "id"))
    contributions = counted(study, period)
    threads = partner_threads(study, period)
    standards, untagged = _standards(contributions)
    narrative = {name: getattr(report, name) for name in SECTION_FIELDS}
    return ReportContent(
        study=study,
        period=period,
        narrative=narrative,
        table=_stage_activity(contributions, stages),
        partners=_partners(contributions),
        outcomes=_outcomes(threads),
        changes=_changes(threads),
        standards=standards,
        untagged=untagged,
        chart=_chart(_monthly(contributions, stages), stages),
        sections=[(name, str(heading), narrative[name]) for name, heading in SECTIONS],
    )


def report_summary(content: ReportContent) -> str:
    """One sentence of what the records say, for the top of the report."""
    if not content.has_involvement:
        return _(
            "There is no approved involvement recorded for this study in the period chosen "
            "(%(period)s)."
        ) % {"period": content.period.text}
    partners = ngettext("%(n)s partner", "%(n)s partners", len(content.partners)) % {
        "n": len(content.partners)
    }
    activities = ngettext("%(n)s activity", "%(n)s activities", content.total.count) % {
        "n": content.total.count
    }
    return _(
        "In the period reported (%(period)s), %(partners)s gave %(time)s to "
        "%(activities)s of approved involvement."
    ) % {
        "period": content.period.text,
        "partners": partners,
        "time": duration(content.total.minutes),
        "activities": activities,
    }


def changed_sections(before: dict[str, str] | None, after: dict[str, str]) -> list[str]:
    """The headings of the sections whose text differs between two saved versions."""
    return [
        str(heading)
        for name, heading in SECTIONS
        if (before or {}).get(name, "") != after.get(name, "")
    ]


def narrative_has_text(content: ReportContent) -> bool:
    return any(text.strip() for text in content.narrative.values())


@dataclass
class SavedVersion:
    """One saved draft of the narrative, and what it changed from the one before."""

    number: int
    saved_at: dt.datetime
    saved_by: str
    changed: list[str]
    sections: list[tuple[str, str]]  # (heading, text) of every section as it was then


HISTORY_SHOWN = 100


def report_history(report: StudyReport) -> list[SavedVersion]:
    """The latest saved versions, newest first (one query)."""
    if report.pk is None:
        return []
    records = list(
        report.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : HISTORY_SHOWN + 1
        ]
    )
    total = report.history.count() if len(records) > HISTORY_SHOWN else len(records)
    texts = [{name: getattr(record, name) for name in SECTION_FIELDS} for record in records]
    versions = []
    for index, record in enumerate(records[:HISTORY_SHOWN]):
        before = texts[index + 1] if index + 1 < len(texts) else None
        user = record.history_user
        versions.append(
            SavedVersion(
                number=total - index,
                saved_at=record.history_date,
                saved_by=user.display_name if user is not None else _("Someone no longer here"),
                changed=changed_sections(before, texts[index]),
                sections=[(str(heading), texts[index][name]) for name, heading in SECTIONS],
            )
        )
    return versions
