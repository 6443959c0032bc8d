"""Review rounds: a version opened for comment to chosen partners until a deadline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from documents.models import (
    Assignment,
    AssignmentState,
    Comment,
    ReviewRound,
    Version,
    VersionStatus,
)
from documents.reminders import round_opened_notify
from engagement.involvement.services.contributions import contribution_propose
from engagement.models import Contribution, Membership, Stage
from portal.accounts.models import User
from portal.permissions import Role
from portal.rules import RuleBroken

# How far from today a round may open or close: room for any real review, near enough that
# a mistyped year (0001, 9999) is caught before it reaches reminders and calendars.
OPENS_WITHIN = dt.timedelta(days=366)
DEADLINE_WITHIN = dt.timedelta(days=3 * 366)


def opening_refusal(opens_at: dt.datetime, now: dt.datetime | None = None) -> str | None:
    """Why a round may not open at this time, or None."""
    now = now or timezone.now()
    if not now - OPENS_WITHIN <= opens_at <= now + DEADLINE_WITHIN:
        return _("Choose an opening time within a year or so of today.")
    return None


def deadline_refusal(deadline: dt.datetime, now: dt.datetime | None = None) -> str | None:
    """Why a round (new or extended) may not close at this time, or None."""
    now = now or timezone.now()
    if deadline > now + DEADLINE_WITHIN:
        return _("Choose a deadline within the next three years.")
    if deadline <= now:
        return _("The deadline must be in the future.")
    return None


def round_is_open(review_round: ReviewRound, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return review_round.opens_at <= now < review_round.deadline


@transaction.atomic
def round_open(
    *,
    version: Version,
    partners: Iterable[User] | None,
    opens_at: dt.datetime,
    deadline: dt.datetime,
    instructions: str,
    independent: bool,
    created_by: User,
    reminder_days: Iterable[int] = (3, 1),
) -> ReviewRound:
    """Open a version for review; ``partners`` None means every current partner of the study."""
    if version.status != VersionStatus.READY:
        raise RuleBroken(_("A version can be reviewed once it has been prepared."))
    refusal = opening_refusal(opens_at)
    if refusal is not None:
        raise RuleBroken(refusal)
    if deadline <= opens_at:
        raise RuleBroken(_("The deadline must be after the opening time."))
    refusal = deadline_refusal(deadline)
    if refusal is not None:
        raise RuleBroken(refusal)
    study_partners = User.objects.filter(
        memberships__study_id=version.document.study_id,
        memberships__role=Role.PARTNER,
        memberships__left_on__isnull=True,
    )
    chosen = list(
        study_partners
        if partners is None
        else study_partners.filter(pk__in=[p.pk for p in partners])
    )
    if not chosen:
        raise RuleBroken(_("Choose at least one partner of this study to review it."))
    review_round = ReviewRound.objects.create(
        version=version,
        opens_at=opens_at,
        deadline=deadline,
        instructions=instructions,
        independent=independent,
        created_by=created_by,
        reminder_days=sorted({int(d) for d in reminder_days if 0 < int(d) <= 60}, reverse=True),
    )
    Assignment.objects.bulk_create(
        Assignment(round=review_round, partner=partner) for partner in chosen
    )
    round_opened_notify(review_round=review_round)
    return review_round


def round_extend(*, review_round: ReviewRound, deadline: dt.datetime) -> ReviewRound:
    if deadline <= review_round.deadline:
        raise RuleBroken(_("The new deadline must be later than the current one."))
    refusal = deadline_refusal(deadline)
    if refusal is not None:
        raise RuleBroken(refusal)
    review_round.deadline = deadline
    review_round.save(update_fields=["deadline"])
    return review_round


def assignment_for(review_round: ReviewRound, user: User) -> Assignment | None:
    return Assignment.objects.filter(round=review_round, partner=user).first()


def assignment_start(*, assignment: Assignment) -> None:
    """A partner's first comment or draft moves their review to "in progress"."""
    Assignment.objects.filter(pk=assignment.pk, state=AssignmentState.NOT_STARTED).update(
        state=AssignmentState.IN_PROGRESS, started_at=timezone.now()
    )


@transaction.atomic
def assignment_finish(*, assignment: Assignment, minutes_spent: int) -> Assignment:
    """The partner says "I have finished my review" and how long it took."""
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if not 1 <= minutes_spent <= 24 * 60:
        raise RuleBroken(_("Enter the time you spent, between 1 minute and 24 hours."))
    if assignment.state == AssignmentState.FINISHED:
        raise RuleBroken(_("You have already finished this review."))
    now = timezone.now()
    review_round = ReviewRound.objects.get(pk=assignment.round_id)
    if now < review_round.opens_at:
        raise RuleBroken(_("This review has not opened yet, so it cannot be finished."))
    assignment.state = AssignmentState.FINISHED
    assignment.started_at = assignment.started_at or now
    assignment.finished_at = now
    assignment.minutes_spent = minutes_spent
    assignment.contribution = _propose_contribution(assignment, review_round)  # None: no stage
    assignment.save(
        update_fields=["state", "started_at", "finished_at", "minutes_spent", "contribution"]
    )
    return assignment


def _propose_contribution(assignment: Assignment, review_round: ReviewRound) -> Contribution | None:
    """A finished review becomes a draft contribution the partner checks and submits."""
    version = Version.objects.select_related("document__study", "document__stage").get(
        pk=review_round.version_id
    )
    document = version.document
    stage = (
        document.stage or Stage.objects.filter(study=document.study).order_by("position").first()
    )
    if stage is None:
        return None  # a study with no stages; the partner records it themselves
    made = Comment.objects.filter(
        version=version, author_id=assignment.partner_id, withdrawn_at__isnull=True
    ).aggregate(
        comments=Count("pk", filter=Q(parent__isnull=True)),
        replies=Count("pk", filter=Q(parent__isnull=False)),
    )
    return contribution_propose(
        partner=assignment.partner,
        study=document.study,
        stage=stage,
        activity_date=timezone.localdate(),
        minutes=assignment.minutes_spent or 1,
        what_they_did=_("Reviewed “%(title)s” (version %(n)s) and made %(made)s.")
        % {"title": document.title, "n": version.number, "made": comments_made(**made)},
    )


def comments_made(*, comments: int, replies: int) -> str:
    """ "3 comments and 2 replies": comments start conversations, as the involvement log counts
    them, and replies are counted apart."""
    said = ngettext("%(n)s comment", "%(n)s comments", comments) % {"n": comments}
    answered = ngettext("%(n)s reply", "%(n)s replies", replies) % {"n": replies}
    if comments and replies:
        return _("%(comments)s and %(replies)s") % {"comments": said, "replies": answered}
    if replies:
        return answered
    return said if comments else _("no comments")


def is_partner_of(version: Version, user: User) -> bool:
    return Membership.objects.filter(
        study_id=version.document.study_id, user=user, role=Role.PARTNER, left_on__isnull=True
    ).exists()
