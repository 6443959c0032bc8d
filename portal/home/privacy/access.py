"""Who may erase a person's personal data: a site admin, or a coordinator of every study the
person is or was in.

Erasure reaches across all of a person's studies. A coordinator of only some of them is told
to ask a site admin; anyone who coordinates none of them gets 404, as for a study (and nobody
erases themselves here).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from engagement.models import Membership
from portal.accounts.models import User
from portal.home.logs.access import coordinated_study_ids


@dataclass(frozen=True)
class ErasureAccess:
    person: User
    allowed: bool  # False: a coordinator of some of the person's studies, not all


def erasure_access(viewer: User, user_id: int) -> ErasureAccess:
    """The person and whether the viewer may erase them; 404 for anyone else."""
    person = User.objects.filter(pk=user_id).first()
    if person is None or person.pk == viewer.pk:
        raise Http404("No such person.")
    if viewer.is_staff:
        return ErasureAccess(person, allowed=True)
    studies = set(Membership.objects.filter(user=person).values_list("study_id", flat=True))
    mine = studies & coordinated_study_ids(viewer)
    if not mine:
        raise Http404("No such person.")
    return ErasureAccess(person, allowed=mine == studies)
