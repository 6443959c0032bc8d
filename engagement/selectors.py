"""Reads about studies, memberships and invitations."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from engagement.models import Invitation, Membership, Stage, Study
from portal.accounts.models import User
from portal.permissions import Role


def current_memberships(user: User) -> QuerySet[Membership]:
    """The person's studies, each with its count of current members."""
    return (
        Membership.objects.filter(user=user, left_on__isnull=True)
        .select_related("study")
        .annotate(
            member_count=Count(
                "study__memberships",
                filter=Q(study__memberships__left_on__isnull=True),
                distinct=True,
            ),
            partner_count=Count(
                "study__memberships",
                filter=Q(
                    study__memberships__left_on__isnull=True,
                    study__memberships__role=Role.PARTNER,
                ),
                distinct=True,
            ),
        )
        .order_by("study__title", "study_id")
    )


def study_members(study: Study) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(study=study, left_on__isnull=True)
        .select_related("user")
        .order_by("role", "user__display_name", "id")
    )


def study_past_members(study: Study) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(study=study, left_on__isnull=False)
        .select_related("user")
        .order_by("-left_on", "user__display_name")
    )


def study_pending_invitations(study: Study) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        study=study, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def study_stages(study: Study) -> QuerySet[Stage]:
    return Stage.objects.filter(study=study).order_by("position", "id")


def is_coordinator_anywhere(user: User) -> bool:
    return Membership.objects.filter(
        user=user, role=Role.COORDINATOR, left_on__isnull=True
    ).exists()


def coordinator_exists_clause() -> Exists:
    """True for a person holding a current coordinator role in any study."""
    return Exists(
        Membership.objects.filter(user=OuterRef("pk"), role=Role.COORDINATOR, left_on__isnull=True)
    )


def can_create_studies(user: User) -> bool:
    return bool(
        user.is_authenticated and (user.can_create_studies or is_coordinator_anywhere(user))
    )


def pending_invitation_for(study: Study, email: str) -> Invitation | None:
    return (
        Invitation.objects.filter(
            study=study,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )
