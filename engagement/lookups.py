"""Contributions inside a study, fetched only through the study the access check allowed."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from engagement.access import StudyAccess
from engagement.models import Contribution, ContributionState, ExpenseLine, PaymentRate
from portal.permissions import Action


def contribution_in(access: StudyAccess, contribution_id: int) -> Contribution:
    """A contribution of this study: a partner sees only their own, the team sees all."""
    contribution = get_object_or_404(
        Contribution.objects.select_related("partner", "stage", "entered_by", "decided_by"),
        pk=contribution_id,
        study=access.study,
    )
    viewer = access.membership.user_id
    own = contribution.partner_id == viewer
    if not own and not access.may(Action.VIEW_STUDY_INVOLVEMENT):
        raise Http404("No such contribution.")
    # A draft is the partner's own until they submit it, unless the viewer entered it for them.
    if (
        not own
        and contribution.state == ContributionState.DRAFT
        and contribution.entered_by_id != viewer
    ):
        raise Http404("No such contribution.")
    return contribution


def sees_money(access: StudyAccess, contribution: Contribution) -> bool:
    """Payments, expenses and receipts: the partner themself and those who pay."""
    return contribution.partner_id == access.membership.user_id or access.may(
        Action.MANAGE_PAYMENTS
    )


def expense_in(access: StudyAccess, contribution: Contribution, expense_id: int) -> ExpenseLine:
    return get_object_or_404(ExpenseLine, pk=expense_id, contribution=contribution)


def rate_in(access: StudyAccess, rate_id: int) -> PaymentRate:
    return get_object_or_404(PaymentRate, pk=rate_id, policy__study=access.study)
