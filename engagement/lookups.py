"""Contributions inside a study, fetched only through the study the access check allowed."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from engagement.access import StudyAccess
from engagement.models import Contribution, ExpenseLine, PaymentRate
from portal.permissions import Action


def contribution_in(access: StudyAccess, contribution_id: int) -> Contribution:
    """A contribution of this study: a partner sees only their own, the team sees all."""
    contribution = get_object_or_404(
        Contribution.objects.select_related("partner", "stage", "entered_by", "decided_by"),
        pk=contribution_id,
        study=access.study,
    )
    own = contribution.partner_id == access.membership.user_id
    if not own and not access.may(Action.VIEW_STUDY_INVOLVEMENT):
        raise Http404("No such contribution.")
    return contribution


def expense_in(access: StudyAccess, contribution: Contribution, expense_id: int) -> ExpenseLine:
    return get_object_or_404(ExpenseLine, pk=expense_id, contribution=contribution)


def rate_in(access: StudyAccess, rate_id: int) -> PaymentRate:
    return get_object_or_404(PaymentRate, pk=rate_id, policy__study=access.study)
