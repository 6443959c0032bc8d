"""What a person's dashboard shows; reads across studies and documents."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.utils import timezone

from documents.models import Assignment, AssignmentState, Comment, ThreadState
from portal.accounts.models import User


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
