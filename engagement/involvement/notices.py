"""Telling partners what became of their contributions: approved, returned or paid."""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse
from django.utils.translation import gettext as _

from engagement.involvement.wording import describe
from engagement.models import Contribution, ContributionState, Membership
from portal.formatting import money
from portal.notifications.models import Kind, Notification
from portal.notifications.relevance import relevance_register
from portal.notifications.services import Message, notifications_record

TITLES: dict[str, str] = {
    Kind.CONTRIBUTION_APPROVED: _("Your contribution was approved: %(what)s"),
    Kind.CONTRIBUTION_RETURNED: _("Your contribution needs a change: %(what)s"),
    Kind.CONTRIBUTION_PAID: _("Your contribution has been paid: %(what)s"),
}


def contribution_notify(*, contribution: Contribution, kind: str) -> None:
    """Record the notice once per decision (a contribution returned twice is told twice)."""
    occasion = ""
    if kind == Kind.CONTRIBUTION_RETURNED and contribution.decided_at is not None:
        occasion = contribution.decided_at.isoformat(timespec="seconds")
    what = describe(contribution)
    notifications_record(
        [
            Message(
                recipient=contribution.partner,
                kind=kind,
                object_type="contribution",
                object_id=contribution.pk,
                occasion=occasion,
                study_id=contribution.study_id,
                title=str(TITLES[kind]) % {"what": what},
                link=reverse("contribution_detail", args=[contribution.study_id, contribution.pk]),
                template=kind,
                context={
                    "description": what,
                    "reason": contribution.returned_reason,
                    "amount": money(contribution.payment_due) if contribution.payment_due else "",
                },
            )
        ]
    )


def _still_relevant(notifications: Sequence[Notification]) -> dict[int, str]:
    contributions = {
        c.pk: c for c in Contribution.objects.filter(pk__in=[n.object_id for n in notifications])
    }
    members = set(
        Membership.objects.filter(
            study_id__in={c.study_id for c in contributions.values()},
            user_id__in={n.recipient_id for n in notifications},
            left_on__isnull=True,
        ).values_list("study_id", "user_id")
    )
    reasons = {}
    for notification in notifications:
        contribution = contributions.get(notification.object_id)
        if contribution is None:
            reasons[notification.pk] = "the contribution was removed"
        elif (contribution.study_id, notification.recipient_id) not in members:
            reasons[notification.pk] = "the partner has left the study"
        elif (
            notification.kind == Kind.CONTRIBUTION_RETURNED
            and contribution.state != ContributionState.RETURNED
        ):
            reasons[notification.pk] = "the contribution is no longer waiting for a change"
    return reasons


def relevance_checks_register() -> None:
    for kind in TITLES:
        relevance_register(kind, _still_relevant)
