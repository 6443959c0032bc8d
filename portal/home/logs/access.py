"""Who may see an involvement log: its holder, and the coordinators of a study it covers."""

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


def may_see_log(user: User, log: InvolvementLog) -> bool:
    if log.holder_id == user.pk:
        return True
    return Membership.objects.filter(
        user=user,
        study_id__in=log.study_ids,
        role=Role.COORDINATOR,
        left_on__isnull=True,
    ).exists()
