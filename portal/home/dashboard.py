"""What a person's dashboard shows; reads across studies and documents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from documents.models import Assignment, AssignmentState, Comment, ThreadState
from engagement.models import Contribution, ContributionState, Membership, Stage, Study
from portal.accounts.models import User
from portal.permissions import Role


def reviews_waiting(user: User) -> QuerySet[Assignment]:
    """Open review rounds the person has been asked to do and has not finished."""
    now = timezone.now()
    return (
        Assignment.objects.filter(
            partner=user,
            round__opens_at__lte=now,
            round__deadline__gt=now,
            round__version__document__study__memberships__user=user,
            round__version__document__study__memberships__left_on__isnull=True,
        )
        .exclude(state=AssignmentState.FINISHED)
        .select_related("round__version__document__study")
        .order_by("round__deadline")
    )


def contributions_not_sent(user: User, limit: int = 20) -> list[Contribution]:
    """The partner's drafts and returned contributions: nobody sees them until they are sent."""
    return list(
        Contribution.objects.filter(
            partner=user,
            state__in=[ContributionState.DRAFT, ContributionState.RETURNED],
            study__memberships__user=user,
            study__memberships__left_on__isnull=True,
        )
        .select_related("study")
        .order_by("activity_date", "id")[:limit]
    )


def answers_to_read(user: User, limit: int = 10) -> list[Comment]:
    """The person's comments the team has answered that they have not yet confirmed."""
    return list(
        Comment.objects.filter(
            author=user,
            parent__isnull=True,
            state__in=[ThreadState.ANSWERED, ThreadState.RESOLVED],
            withdrawn_at__isnull=True,
            version__document__study__memberships__user=user,
            version__document__study__memberships__left_on__isnull=True,
        )
        .select_related("version__document__study", "response")
        .order_by("-response__published_at")[:limit]
    )


def comments_to_answer(study_ids: list[int]) -> dict[int, int]:
    """Per study, the open comments that have no published answer yet."""
    rows = (
        Comment.objects.filter(
            version__document__study_id__in=study_ids,
            parent__isnull=True,
            state=ThreadState.OPEN,
            withdrawn_at__isnull=True,
        )
        .values("version__document__study_id")
        .annotate(n=Count("id"))
    )
    return {row["version__document__study_id"]: row["n"] for row in rows}


# --- what needs the team's attention -------------------------------------------------------

CLOSING_SOON = dt.timedelta(days=7)


@dataclass
class StudyAttention:
    """What one study's team should look at; zero everywhere means nothing to do."""

    membership: Membership
    waiting_approval: int = 0
    payments_due: int = 0
    amount_due: Decimal = Decimal("0.00")
    comments_open: int = 0
    rounds_closing: list[dict[str, Any]] = field(default_factory=list)
    empty_stages: list[str] = field(default_factory=list)
    approvals_url: str = ""
    payments_url: str = ""

    @property
    def study(self) -> Study:
        return self.membership.study

    @property
    def is_coordinator(self) -> bool:
        return self.membership.role == Role.COORDINATOR

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.waiting_approval
            or self.payments_due
            or self.comments_open
            or self.rounds_closing
            or self.empty_stages
        )


def _url_or_study(name: str, study_id: int) -> str:
    """The named study page if this portal has it, else the study's own page."""
    try:
        return reverse(name, kwargs={"study_id": study_id})
    except NoReverseMatch:
        return reverse("study_detail", kwargs={"study_id": study_id})


def contributions_to_act_on(study_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per study: contributions waiting for approval, and approved ones not yet paid."""
    due = Q(state=ContributionState.APPROVED, payment_due__gt=0)
    rows = (
        Contribution.objects.filter(
            study_id__in=study_ids,
            state__in=[ContributionState.SUBMITTED, ContributionState.APPROVED],
        )
        .order_by()
        .values("study_id")
        .annotate(
            waiting=Count("id", filter=Q(state=ContributionState.SUBMITTED)),
            due=Count("id", filter=due),
            amount=Sum("payment_due", filter=due),
        )
    )
    return {row["study_id"]: row for row in rows}


def rounds_closing_soon(study_ids: list[int], now: dt.datetime) -> dict[int, list[dict[str, Any]]]:
    """Open rounds with a deadline in the next week, with how many partners have not started."""
    rows = (
        Assignment.objects.filter(
            round__version__document__study_id__in=study_ids,
            round__opens_at__lte=now,
            round__deadline__gt=now,
            round__deadline__lte=now + CLOSING_SOON,
            state=AssignmentState.NOT_STARTED,
        )
        .order_by()
        .values(
            "round_id",
            "round__deadline",
            "round__version__number",
            "round__version__document_id",
            "round__version__document__title",
            "round__version__document__study_id",
        )
        .annotate(not_started=Count("id"))
        .order_by("round__deadline", "round_id")
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        study_id = row["round__version__document__study_id"]
        found.setdefault(study_id, []).append(
            {
                "deadline": row["round__deadline"],
                "title": row["round__version__document__title"],
                "not_started": row["not_started"],
                "url": reverse(
                    "version_detail",
                    kwargs={
                        "study_id": study_id,
                        "document_id": row["round__version__document_id"],
                        "number": row["round__version__number"],
                    },
                ),
            }
        )
    return found


def stages_without_involvement(study_ids: list[int]) -> dict[int, list[str]]:
    """Per study, its stages (in order) with no contribution beyond a draft so far."""
    involved = Contribution.objects.filter(stage=OuterRef("pk")).exclude(
        state=ContributionState.DRAFT
    )
    rows = (
        Stage.objects.filter(study_id__in=study_ids)
        .filter(~Exists(involved))
        .order_by("study_id", "position", "id")
        .values_list("study_id", "name")
    )
    found: dict[int, list[str]] = {}
    for study_id, name in rows:
        found.setdefault(study_id, []).append(name)
    return found


def attention(team_memberships: list[Membership]) -> list[StudyAttention]:
    """What needs the team's attention across their studies: a fixed number of queries.

    Approvals and payments are for coordinators; the rest for everyone in the team.
    """
    if not team_memberships:
        return []
    study_ids = [m.study_id for m in team_memberships]
    coordinating = [m.study_id for m in team_memberships if m.role == Role.COORDINATOR]
    to_act = contributions_to_act_on(coordinating) if coordinating else {}
    to_answer = comments_to_answer(study_ids)
    closing = rounds_closing_soon(study_ids, timezone.now())
    empty = stages_without_involvement(study_ids)
    items = []
    for membership in team_memberships:
        study_id = membership.study_id
        item = StudyAttention(
            membership=membership,
            comments_open=to_answer.get(study_id, 0),
            rounds_closing=closing.get(study_id, []),
            empty_stages=empty.get(study_id, []),
        )
        if membership.role == Role.COORDINATOR:
            row = to_act.get(study_id, {})
            item.waiting_approval = row.get("waiting", 0)
            item.payments_due = row.get("due", 0)
            item.amount_due = Decimal(row.get("amount") or 0).quantize(Decimal("0.01"))
            item.approvals_url = _url_or_study("approval_queue", study_id)
            item.payments_url = _url_or_study("payment_list", study_id)
        items.append(item)
    return items
