"""The weekly note to coordinators: what has waited too long for the team."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.models import Comment, ThreadState
from engagement.models import Contribution, ContributionState, Membership, Study
from portal.accounts.models import User
from portal.formatting import money
from portal.notifications.models import Kind
from portal.notifications.services import Message, notifications_record, period_key
from portal.permissions import Role


def _unanswered(now: dt.datetime) -> dict[int, int]:
    """Per study, open comments older than the study's own limit with no published answer."""
    rows = (
        Comment.objects.filter(
            parent__isnull=True,
            state=ThreadState.OPEN,
            withdrawn_at__isnull=True,
            version__document__study__status="active",
        )
        .annotate(limit_days=F("version__document__study__response_reminder_days"))
        .values("version__document__study_id", "created_at", "limit_days")
    )
    counts: dict[int, int] = defaultdict(int)
    for row in rows.iterator(chunk_size=2000):
        if row["created_at"] <= now - dt.timedelta(days=row["limit_days"]):
            counts[row["version__document__study_id"]] += 1
    return counts


def _contributions() -> dict[int, dict[str, Any]]:
    due = Q(state=ContributionState.APPROVED, payment_due__gt=0)
    rows = (
        Contribution.objects.filter(
            state__in=[ContributionState.SUBMITTED, ContributionState.APPROVED]
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


def team_digests_record(*, now: dt.datetime | None = None) -> int:
    """One note a week to each coordinator with anything waiting in their studies."""
    now = now or timezone.now()
    unanswered = _unanswered(now)
    money_rows = _contributions()
    study_ids = set(unanswered) | set(money_rows)
    titles = dict(Study.objects.filter(pk__in=study_ids).values_list("pk", "title"))
    per_coordinator: dict[int, list[dict[str, Any]]] = defaultdict(list)
    users: dict[int, User] = {}
    for membership in Membership.objects.filter(
        study_id__in=study_ids, role=Role.COORDINATOR, left_on__isnull=True
    ).select_related("user__profile"):
        study_id = membership.study_id
        row = money_rows.get(study_id, {})
        users[membership.user_id] = membership.user
        per_coordinator[membership.user_id].append(
            {
                "title": titles[study_id],
                "unanswered": unanswered.get(study_id, 0),
                "waiting": row.get("waiting", 0),
                "payments": row.get("due", 0),
                "amount": money(row.get("amount")),
                "url": reverse("study_detail", args=[study_id]),
            }
        )
    week = period_key("weekly", now)
    messages = [
        Message(
            recipient=users[user_id],
            kind=Kind.TEAM_DIGEST,
            object_type="user",
            object_id=user_id,
            occasion=week,
            title=_("This week, waiting for the team in %(n)s studies") % {"n": len(studies)},
            link=reverse("dashboard"),
            template="team_digest",
            context={"studies": studies},
        )
        for user_id, studies in per_coordinator.items()
    ]
    return notifications_record(messages)
