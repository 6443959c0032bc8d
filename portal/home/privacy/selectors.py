"""Reads for the record of who viewed or changed sensitive records."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from engagement.models import Membership, Study
from portal.accounts.models import SensitiveAccess


def study_access_record(study: Study) -> QuerySet[SensitiveAccess]:
    """What was viewed or changed in the study, and the profile changes of its members.

    A profile belongs to no study; its changes are shown to the coordinators of each study
    the person is or was in, since they are who works with those access needs.
    """
    member = Membership.objects.filter(study=study, user=OuterRef("subject"))
    return (
        SensitiveAccess.objects.filter(Q(study_id=study.pk) | Q(Exists(member), study_id=None))
        .select_related("by", "subject")
        .order_by("-at", "-id")
    )
