"""Who may see an involvement log: its holder, and a coordinator of every study it covers.

A log can reach across several studies and include payments; a coordinator of only one of
them would see what another study's team keeps to itself, so they get 404 like anyone else.
"""

from __future__ import annotations

from django.http import Http404

from engagement.models import Membership
from portal.accounts.models import User
from portal.home.models import InvolvementLog
from portal.permissions import Role


def log_for(user: User, log_id: int) -> InvolvementLog:
    """The log if the person may see it; anyone else gets 404, as for a study."""
    log = InvolvementLog.objects.select_related("holder", "produced_by").filter(pk=log_id).first()
    if log is None or not may_see_log(user, log):
        raise Http404("No such involvement log.")
    return log


def coordinated_study_ids(user: User) -> set[int]:
    return set(
        Membership.objects.filter(
            user=user, role=Role.COORDINATOR, left_on__isnull=True
        ).values_list("study_id", flat=True)
    )


def may_see_log(user: User, log: InvolvementLog) -> bool:
    if log.holder_id == user.pk:
        return True
    return covers_only(log, coordinated_study_ids(user))


def covers_only(log: InvolvementLog, study_ids: set[int]) -> bool:
    """Whether every study the log covers is among these."""
    return bool(log.study_ids) and set(log.study_ids) <= study_ids
