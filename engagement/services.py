"""Writes about studies, stages, memberships and invitations."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.involvement.services.payments import payment_policy_create
from engagement.models import RESEARCH_CYCLE_STAGES, Invitation, Membership, Stage, Study
from engagement.selectors import pending_invitation_for
from portal.accounts.models import User
from portal.accounts.services import user_owns_email
from portal.email import PermanentMailError, TemporaryMailError, email_render, email_send_now
from portal.permissions import Role
from portal.rules import RuleBroken

INVITATION_SALT = "engagement.invitation"
logger = logging.getLogger(__name__)


# --- studies -----------------------------------------------------------------


@transaction.atomic
def study_create(
    *,
    created_by: User,
    title: str,
    lay_summary: str,
    status: str,
    response_reminder_days: int = 7,
) -> Study:
    """Create a study with the research-cycle stages; its creator is its first coordinator."""
    study = Study.objects.create(
        title=title,
        lay_summary=lay_summary,
        status=status,
        created_by=created_by,
        response_reminder_days=response_reminder_days,
    )
    Stage.objects.bulk_create(
        Stage(study=study, name=name, position=index)
        for index, name in enumerate(RESEARCH_CYCLE_STAGES, start=1)
    )
    Membership.objects.create(
        study=study, user=created_by, role=Role.COORDINATOR, added_by=created_by
    )
    # Every study starts from the example rates, which its team then edits.
    payment_policy_create(study=study)
    return study


def study_update(
    *,
    study: Study,
    title: str,
    lay_summary: str,
    status: str,
    response_reminder_days: int = 7,
) -> Study:
    """Change a study's title, lay summary, status or when the team is reminded of comments."""
    study.title = title.strip()
    study.lay_summary = lay_summary.strip()
    study.status = status
    study.response_reminder_days = response_reminder_days
    study.save()
    return study


# --- stages ------------------------------------------------------------------


@transaction.atomic
def stage_add(*, study: Study, name: str, description: str = "") -> Stage:
    """Add a stage at the end; names are unique within a study whatever their case."""
    Study.objects.select_for_update().filter(pk=study.pk).first()  # one adder at a time
    last = Stage.objects.filter(study=study).aggregate(last=Max("position"))["last"] or 0
    try:
        with transaction.atomic():
            return Stage.objects.create(
                study=study, name=name, description=description, position=last + 1
            )
    except IntegrityError:
        raise RuleBroken(_("This study already has a stage with that name.")) from None


def stage_update(*, stage: Stage, name: str, description: str = "") -> Stage:
    """Rename a stage or change its description; names stay unique within the study."""
    stage.name = name.strip()
    stage.description = description.strip()
    try:
        with transaction.atomic():
            stage.save()
    except IntegrityError:
        raise RuleBroken(_("This study already has a stage with that name.")) from None
    return stage


class Direction(Enum):
    UP = "up"
    DOWN = "down"


@transaction.atomic
def stage_move(*, stage: Stage, direction: Direction) -> bool:
    """Swap the stage with its neighbour; False when it is already at that end."""
    stages = list(Stage.objects.select_for_update().filter(study_id=stage.study_id))
    stages.sort(key=lambda s: (s.position, s.id))
    index = next(i for i, s in enumerate(stages) if s.pk == stage.pk)
    target = index - 1 if direction is Direction.UP else index + 1
    if not 0 <= target < len(stages):
        return False
    stages[index], stages[target] = stages[target], stages[index]
    for position, item in enumerate(stages, start=1):
        item.position = position
    Stage.objects.bulk_update(stages, ["position"])
    return True


def stage_delete(*, stage: Stage) -> None:
    """Remove a stage nothing refers to; anything that uses a stage protects it."""
    try:
        with transaction.atomic():
            stage.delete()
    except ProtectedError:
        raise RuleBroken(
            _(
                "“%(name)s” cannot be removed because documents or contributions refer to "
                "it. Rename it instead, or move what refers to it to another stage first."
            )
            % {"name": stage.name}
        ) from None


# --- memberships -------------------------------------------------------------


def _lock_coordinators(study_id: int) -> list[int]:
    """Lock the study's current coordinators, so that two requests cannot remove the last."""
    return list(
        Membership.objects.select_for_update()
        .filter(study_id=study_id, role=Role.COORDINATOR, left_on__isnull=True)
        .values_list("pk", flat=True)
    )


def _other_coordinators(membership: Membership) -> bool:
    return any(pk != membership.pk for pk in _lock_coordinators(membership.study_id))


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str) -> Membership:
    _lock_coordinators(membership.study_id)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.left_on is not None:
        raise RuleBroken(_("This person has left the study."))
    if (
        membership.role == Role.COORDINATOR
        and role != Role.COORDINATOR
        and not _other_coordinators(membership)
    ):
        raise RuleBroken(
            _("A study needs at least one coordinator. Make someone else coordinator first.")
        )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, on: dt.date | None = None) -> Membership:
    """End a membership, keeping it as history with the date the person left."""
    _lock_coordinators(membership.study_id)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.left_on is not None:
        raise RuleBroken(_("This person has already left the study."))
    if membership.role == Role.COORDINATOR and not _other_coordinators(membership):
        raise RuleBroken(
            _("A study needs at least one coordinator. Make someone else coordinator first.")
        )
    membership.left_on = max(on or timezone.localdate(), membership.joined_on)
    membership.save(update_fields=["left_on"])
    return membership


# --- invitations -------------------------------------------------------------


def _new_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.INVITATION_EXPIRY_DAYS)


def _queue_send(invitation: Invitation) -> None:
    from engagement.tasks import invitation_send

    invitation_id = invitation.pk
    transaction.on_commit(lambda: invitation_send.delay(invitation_id))


def invitation_email_send(*, invitation_id: int, last_try: bool = False) -> None:
    """Email an invitation once; safe to run twice or after the invitation is gone.

    A temporary mail failure releases the invitation and raises ``TemporaryMailError`` for
    the task to try again; a permanent one (or a temporary one on the last try) is recorded
    on the invitation, where the members page shows it.
    """
    claimed_at = timezone.now()
    # Claiming the row first means a second run finds nothing to do.
    claimed = Invitation.objects.filter(
        pk=invitation_id,
        sent_at__isnull=True,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(sent_at=claimed_at)
    if not claimed:
        return
    invitation = Invitation.objects.select_related("study", "invited_by").get(pk=invitation_id)
    message = email_render(
        template="invitation",
        to=[invitation.email],
        context={"invitation": invitation, "accept_url": invitation_url(invitation)},
    )
    unclaimed = Invitation.objects.filter(pk=invitation_id, sent_at=claimed_at)
    try:
        email_send_now(message, last_try=last_try)
    except TemporaryMailError:
        unclaimed.update(sent_at=None)
        raise
    except PermanentMailError as error:
        unclaimed.update(sent_at=None)
        logger.warning("Invitation %s could not be delivered: %s", invitation_id, error)
        Invitation.objects.filter(pk=invitation_id).update(send_error=str(error))
        return
    Invitation.objects.filter(pk=invitation_id).exclude(send_error="").update(send_error="")


def _is_current_member(study_id: int, email: str) -> bool:
    return Membership.objects.filter(
        study_id=study_id, user__email__iexact=email, left_on__isnull=True
    ).exists()


@transaction.atomic
def invitation_create(
    *, study: Study, email: str, role: str, invited_by: User, message: str = ""
) -> Invitation:
    """Invite an address to the study; refuses current members and waiting invitations."""
    email = User.objects.normalize_email(email).strip()
    if _is_current_member(study.pk, email):
        raise RuleBroken(_("%(email)s is already a member of this study.") % {"email": email})
    if pending_invitation_for(study, email) is not None:
        raise RuleBroken(
            _(
                "%(email)s has already been invited and the invitation has not expired. "
                "You can send it again from the members page."
            )
            % {"email": email}
        )
    invitation = Invitation.objects.create(
        study=study,
        email=email,
        role=role,
        message=message,
        invited_by=invited_by,
        nonce=secrets.token_urlsafe(24),
        expires_at=_new_expiry(),
    )
    _queue_send(invitation)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation) -> Invitation:
    """Send a fresh link with a new expiry; the old link stops working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise RuleBroken(_("This invitation has already been used or withdrawn."))
    if _is_current_member(invitation.study_id, invitation.email):
        raise RuleBroken(
            _("%(email)s is already a member of this study.") % {"email": invitation.email}
        )
    invitation.nonce = secrets.token_urlsafe(24)
    invitation.expires_at = _new_expiry()
    invitation.sent_at = None
    invitation.send_error = ""
    invitation.save(update_fields=["nonce", "expires_at", "sent_at", "send_error"])
    _queue_send(invitation)
    return invitation


def invitation_revoke(*, invitation: Invitation) -> None:
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:
        raise RuleBroken(_("This invitation has already been used or withdrawn."))


def invitation_token(invitation: Invitation) -> str:
    # No timestamp in it: the expiry is the invitation's own, so the same link is made every
    # time for the same invitation and nonce.
    return signing.Signer(salt=INVITATION_SALT).sign_object(
        {"i": invitation.pk, "n": invitation.nonce}
    )


def invitation_url(invitation: Invitation) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("invitation_accept", args=[invitation_token(invitation)])


class InvitationProblem(Enum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    WITHDRAWN = "withdrawn"


def invitation_from_token(token: str) -> tuple[Invitation | None, InvitationProblem | None]:
    """The invitation a link stands for, or why the link cannot be used."""
    try:
        data = signing.Signer(salt=INVITATION_SALT).unsign_object(token)
        invitation_id, nonce = int(data["i"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None, InvitationProblem.INVALID
    invitation = (
        Invitation.objects.select_related("study", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None or not secrets.compare_digest(invitation.nonce, nonce):
        # A resent invitation has a new nonce, so an older link lands here.
        if invitation is not None and invitation.is_pending:
            return invitation, InvitationProblem.EXPIRED
        return None, InvitationProblem.INVALID
    if invitation.accepted_at is not None:
        return invitation, InvitationProblem.USED
    if invitation.revoked_at is not None:
        return invitation, InvitationProblem.WITHDRAWN
    if invitation.has_expired():
        return invitation, InvitationProblem.EXPIRED
    return invitation, None


@dataclass(frozen=True)
class Acceptance:
    membership: Membership
    joined: bool  # False when the person was already a member


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Acceptance:
    """Use the invitation once: its addressee joins the study in the invited role."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending or invitation.has_expired():
        raise RuleBroken(_("This invitation can no longer be used."))
    if not user_owns_email(user, invitation.email):
        raise RuleBroken(
            _("This invitation was sent to %(email)s, which is not an address of this account.")
            % {"email": invitation.email}
        )
    membership = Membership.objects.filter(
        study_id=invitation.study_id, user=user, left_on__isnull=True
    ).first()
    joined = membership is None
    if membership is None:
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    study_id=invitation.study_id,
                    user=user,
                    role=invitation.role,
                    added_by=invitation.invited_by,
                )
        except IntegrityError:
            raise RuleBroken(_("You have just joined this study.")) from None
    now = timezone.now()
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    # Other invitations to the same address for this study have nothing left to do.
    Invitation.objects.filter(
        study_id=invitation.study_id,
        email__iexact=invitation.email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).exclude(pk=invitation.pk).update(revoked_at=now)
    return Acceptance(membership=membership, joined=joined)
