"""What a partner's involvement log says: read from the records, a fixed number of queries."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from documents.models import Comment, Outcome, Response
from documents.wording import answer_outcome
from engagement.models import (
    Contribution,
    ContributionState,
    ExpenseLine,
    ImpactStandard,
    Membership,
    Stage,
    Study,
)
from portal.accounts.models import User
from portal.formatting import duration, money_amount
from portal.permissions import Role

APPROVED = (ContributionState.APPROVED, ContributionState.PAID)
# Outcomes that mean a document changed because of what the partner said.
CHANGES = (Outcome.CHANGED, Outcome.PARTLY_CHANGED)


@dataclass(frozen=True)
class LogScope:
    """What the person asked for: whose log, which dates and studies, with or without money."""

    holder: User
    start: datetime.date
    end: datetime.date
    study_ids: tuple[int, ...]
    include_payments: bool = False


@dataclass
class StageLine:
    study_id: int
    study: str
    stage: str
    activities: int
    minutes: int


@dataclass
class Entry:
    date: datetime.date
    study: str
    stage: str
    activity: str
    minutes: int
    what_they_did: str
    what_changed: str
    standards: list[str]
    by_proxy: bool


@dataclass
class CommentLine:
    date: datetime.date
    study_id: int
    study: str
    document: str
    version: int
    quote: str
    body: str
    outcome: str
    outcome_value: str
    answer: str
    changed_in: int | None


@dataclass
class PaymentLine:
    date: datetime.date
    study: str
    activity: str
    for_time: Decimal
    expenses: Decimal
    paid_on: datetime.date | None
    expenses_paid_on: datetime.date | None

    @property
    def total(self) -> Decimal:
        return self.for_time + self.expenses


@dataclass
class LogContent:
    scope: LogScope
    holder_name: str
    studies: list[str]
    stages: list[StageLine]
    entries: list[Entry]
    comments: list[CommentLine]
    payments: list[PaymentLine] = field(default_factory=list)

    @property
    def several_studies(self) -> bool:
        """Whether each entry must say which study it was in."""
        return len(self.studies) > 1

    @property
    def total_minutes(self) -> int:
        return sum(line.minutes for line in self.stages)

    @property
    def activities(self) -> int:
        return len(self.entries)

    @property
    def changes(self) -> int:
        return sum(1 for line in self.comments if line.outcome_value in CHANGES)

    @property
    def size(self) -> int:
        """How many entries the log lists: what decides whether it is built in the background."""
        return len(self.entries) + len(self.comments)

    @property
    def payments_for_time(self) -> Decimal:
        return sum((line.for_time for line in self.payments), Decimal("0.00"))

    @property
    def payments_expenses(self) -> Decimal:
        return sum((line.expenses for line in self.payments), Decimal("0.00"))

    @property
    def payments_total(self) -> Decimal:
        return sum((line.total for line in self.payments), Decimal("0.00"))

    @property
    def period(self) -> str:
        return period_text(self.scope.start, self.scope.end)

    @property
    def statement(self) -> str:
        return log_statement(self)


def period_text(start: datetime.date, end: datetime.date) -> str:
    """ "1 April 2026 to 31 March 2027", or the one day."""
    if start == end:
        return date_format(start, "j F Y")
    return _("%(start)s to %(end)s") % {
        "start": date_format(start, "j F Y"),
        "end": date_format(end, "j F Y"),
    }


def _during(start: datetime.date, end: datetime.date) -> str:
    """The period as it reads inside a sentence: "between 1 April and …", "on 3 May 2026"."""
    if start == end:
        return _("on %(day)s") % {"day": date_format(start, "j F Y")}
    return _("between %(start)s and %(end)s") % {
        "start": date_format(start, "j F Y"),
        "end": date_format(end, "j F Y"),
    }


def holder_name(holder: User) -> str:
    """The name the person gave the portal for others to see them by (never their email,
    which the public verification page would otherwise show)."""
    return holder.display_name.strip() or _("A PPIE partner")


def log_studies(study_ids: tuple[int, ...]) -> QuerySet[Study]:
    return Study.objects.filter(pk__in=study_ids).order_by("title", "id")


def _contributions(scope: LogScope) -> QuerySet[Contribution]:
    return Contribution.objects.filter(
        partner=scope.holder,
        study_id__in=scope.study_ids,
        state__in=APPROVED,
        activity_date__gte=scope.start,
        activity_date__lte=scope.end,
    )


def log_size(scope: LogScope) -> int:
    """The number of entries without building the log: two counts."""
    return _contributions(scope).count() + _comments(scope).count()


def _comments(scope: LogScope) -> QuerySet[Comment]:
    # Days as people in the UK count them: midnight to midnight, Europe/London.
    start = timezone.make_aware(datetime.datetime.combine(scope.start, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(scope.end + datetime.timedelta(days=1), datetime.time.min)
    )
    return Comment.objects.filter(
        author=scope.holder,
        parent__isnull=True,
        withdrawn_at__isnull=True,
        # Only what they said as a partner: a researcher's own remarks are not involvement.
        version__document__study_id__in=Membership.objects.filter(
            user=scope.holder, role=Role.PARTNER, study_id__in=scope.study_ids
        ).values("study_id"),
        created_at__gte=start,
        created_at__lt=end,
    )


def _standard_labels(values: list[str]) -> list[str]:
    labels = dict(ImpactStandard.choices)
    return [str(labels[value]) for value in values if value in labels]


def log_content(scope: LogScope) -> LogContent:
    studies = list(log_studies(scope.study_ids))
    titles = {study.pk: study.title for study in studies}
    contributions = list(
        _contributions(scope)
        .select_related("stage")
        .order_by("activity_date", "id")
        .only(
            "activity_date",
            "study_id",
            "stage__name",
            "activity_type",
            "minutes",
            "what_they_did",
            "what_changed",
            "impact_standards",
            "entered_by_id",
            "partner_id",
            "payment_due",
            "paid_on",
            "expenses_paid_on",
        )
    )
    stage_order = {
        stage.pk: (titles.get(stage.study_id, ""), stage.position, stage.pk)
        for stage in Stage.objects.filter(study_id__in=scope.study_ids).only("study_id", "position")
    }
    by_stage: dict[int, StageLine] = {}
    for contribution in contributions:
        line = by_stage.get(contribution.stage_id)
        if line is None:
            line = by_stage[contribution.stage_id] = StageLine(
                study_id=contribution.study_id,
                study=titles.get(contribution.study_id, ""),
                stage=contribution.stage.name,
                activities=0,
                minutes=0,
            )
        line.activities += 1
        line.minutes += contribution.minutes
    stages = [
        by_stage[stage_id]
        for stage_id in sorted(by_stage, key=lambda pk: stage_order.get(pk, ("", 0, pk)))
    ]
    entries = [
        Entry(
            date=c.activity_date,
            study=titles.get(c.study_id, ""),
            stage=c.stage.name,
            activity=c.get_activity_type_display(),
            minutes=c.minutes,
            what_they_did=c.what_they_did,
            what_changed=c.what_changed,
            standards=_standard_labels(c.impact_standards),
            by_proxy=c.by_proxy,
        )
        for c in contributions
    ]
    comments = [
        CommentLine(
            date=timezone.localdate(comment.created_at),
            study_id=comment.version.document.study_id,
            study=titles.get(comment.version.document.study_id, ""),
            document=comment.version.document.title,
            version=comment.version.number,
            quote=comment.quote,
            body=comment.body,
            outcome=_outcome_label(comment),
            outcome_value=_outcome_value(comment),
            answer=_answer(comment),
            changed_in=_changed_in(comment),
        )
        for comment in _comments(scope)
        .select_related("version__document", "response__changed_in")
        .order_by("created_at", "id")
    ]
    payments = _payments(scope, contributions, titles) if scope.include_payments else []
    return LogContent(
        scope=scope,
        holder_name=holder_name(scope.holder),
        studies=[study.title for study in studies],
        stages=stages,
        entries=entries,
        comments=comments,
        payments=payments,
    )


def _published_response(comment: Comment) -> Response | None:
    response: Response | None = getattr(comment, "response", None)
    if response is None or response.published_at is None:
        return None
    return response


def _outcome_value(comment: Comment) -> str:
    response = _published_response(comment)
    return response.outcome if response is not None else ""


def _outcome_label(comment: Comment) -> str:
    response = _published_response(comment)
    if response is None:
        return _("Not answered yet")
    return answer_outcome(response.outcome, comment.state)


def _answer(comment: Comment) -> str:
    response = _published_response(comment)
    return response.body if response is not None else ""


def _changed_in(comment: Comment) -> int | None:
    response = _published_response(comment)
    version = response.changed_in if response is not None else None
    return version.number if version is not None else None


def _payments(
    scope: LogScope, contributions: list[Contribution], titles: dict[int, str]
) -> list[PaymentLine]:
    expenses: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for row in (
        ExpenseLine.objects.filter(contribution__in=_contributions(scope))
        .values("contribution_id")
        .annotate(total=Sum("amount"))
    ):
        expenses[row["contribution_id"]] = money_amount(row["total"])
    return [
        PaymentLine(
            date=c.activity_date,
            study=titles.get(c.study_id, ""),
            activity=c.get_activity_type_display(),
            for_time=money_amount(c.payment_due),
            expenses=expenses[c.pk],
            paid_on=c.paid_on,
            expenses_paid_on=c.expenses_paid_on,
        )
        for c in contributions
        if c.payment_due or expenses[c.pk]
    ]


def log_statement(content: LogContent) -> str:
    """A paragraph the holder can paste into a CV or give to a referee."""
    during = _during(content.scope.start, content.scope.end)
    if not content.entries and not content.comments:
        return _(
            "%(name)s has no approved involvement recorded in the PPIE Portal %(during)s "
            "in the studies listed."
        ) % {"name": content.holder_name, "during": during}
    # The studies they were involved in, not every study ticked on the form.
    involved = {line.study_id for line in content.stages} | {
        line.study_id for line in content.comments
    }
    studies = ngettext("%(n)s study", "%(n)s studies", len(involved)) % {"n": len(involved)}
    text = _("%(during)s, %(name)s was a public involvement partner in %(studies)s") % {
        "during": during[0].upper() + during[1:],
        "name": content.holder_name,
        "studies": studies,
    }
    if content.entries:
        activities = ngettext("%(n)s activity", "%(n)s activities", content.activities) % {
            "n": content.activities
        }
        text += _(", giving %(time)s to %(activities)s") % {
            "time": duration(content.total_minutes),
            "activities": activities,
        }
        stages = sorted({line.stage for line in content.stages}, key=str.lower)
        text += _(" at these stages of research: %(stages)s") % {"stages": ", ".join(stages)}
    text += "."
    if content.comments:
        text += " " + ngettext(
            "They made %(n)s comment on study documents",
            "They made %(n)s comments on study documents",
            len(content.comments),
        ) % {"n": len(content.comments)}
        text += (
            ngettext(
                ", and the team changed a document because of %(n)s of them.",
                ", and the team changed documents because of %(n)s of them.",
                content.changes,
            )
            % {"n": content.changes}
            if content.changes
            else "."
        )
    return text
