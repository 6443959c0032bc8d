"""Who is told what about reviews, comments and answers, and when.

The scan (run by beat every few minutes) finds rounds that have opened, deadlines that are
near or have passed, and records one notification per partner and occasion; recording the
same one twice changes nothing, so overlapping scans are harmless. Answers and replies are
recorded as they are published. Every deadline is reckoned in local (UK) time: a reminder
"3 days before" a 10:00 deadline comes at 10:00 three days before, whatever the clocks did.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from documents.calendar import round_calendar, round_link, version_link
from documents.links import thread_address
from documents.models import (
    Assignment,
    AssignmentState,
    Comment,
    Response,
    ReviewRound,
    Visibility,
)
from engagement.models import Membership
from portal.accounts.models import User
from portal.notifications.models import Delivery, Kind, Notification
from portal.notifications.relevance import relevance_register
from portal.notifications.replies import replies_enabled
from portal.notifications.services import Attachment, Message, notifications_record
from portal.permissions import Role, team_roles
from portal.rules import RuleBroken

# Deadlines that passed longer ago than this are history, not news.
PASSED_WINDOW = dt.timedelta(days=14)
MANUAL_REMINDER_GAP = dt.timedelta(hours=24)
REMINDER_KINDS = (Kind.ROUND_OPENED, Kind.DEADLINE_NEAR, Kind.REVIEW_REMINDER)


def deadline_text(deadline: dt.datetime) -> str:
    return date_format(timezone.localtime(deadline), r"l j F Y \a\t H:i")


def reminder_due_at(deadline: dt.datetime, days: int) -> dt.datetime:
    """The same local time of day, ``days`` calendar days before the deadline."""
    local = timezone.localtime(deadline)
    wall = local.replace(tzinfo=None) - dt.timedelta(days=days)
    return timezone.make_aware(wall, local.tzinfo)


def _round_context(review_round: ReviewRound) -> dict[str, object]:
    document = review_round.version.document
    return {
        "document_title": document.title,
        "study_title": document.study.title,
        "deadline_text": deadline_text(review_round.deadline),
        "instructions": review_round.instructions,
    }


def _calendar(review_round: ReviewRound) -> Attachment:
    return Attachment(
        filename="review-deadline.ics",
        content=round_calendar(review_round).decode(),
        mimetype="text/calendar",
    )


class _RoundWords:
    """What every partner of a round is told, worked out once per round."""

    def __init__(self) -> None:
        self._context: dict[int, dict[str, object]] = {}
        self._calendar: dict[int, Attachment] = {}
        self._link: dict[int, str] = {}

    def context(self, review_round: ReviewRound) -> dict[str, object]:
        if review_round.pk not in self._context:
            self._context[review_round.pk] = _round_context(review_round)
        return self._context[review_round.pk]

    def calendar(self, review_round: ReviewRound) -> Attachment:
        if review_round.pk not in self._calendar:
            self._calendar[review_round.pk] = _calendar(review_round)
        return self._calendar[review_round.pk]

    def link(self, review_round: ReviewRound) -> str:
        if review_round.pk not in self._link:
            self._link[review_round.pk] = round_link(review_round)
        return self._link[review_round.pk]


def _assignment_message(
    assignment: Assignment, kind: str, occasion: str = "", words: _RoundWords | None = None
) -> Message:
    words = words or _RoundWords()
    review_round = assignment.round
    document = review_round.version.document
    titles: dict[str, str] = {
        Kind.ROUND_OPENED: _("Please review “%(title)s” by %(deadline)s"),
        Kind.DEADLINE_NEAR: _("Reminder: comments on “%(title)s” are due by %(deadline)s"),
        Kind.DEADLINE_PASSED: _("The review of “%(title)s” has closed"),
        Kind.REVIEW_REMINDER: _("A reminder about your review of “%(title)s”"),
    }
    # Reminders of the deadline carry it as a calendar entry.
    attachments = (
        [words.calendar(review_round)] if kind in (Kind.DEADLINE_NEAR, Kind.REVIEW_REMINDER) else []
    )
    return Message(
        recipient=assignment.partner,
        kind=kind,
        object_type="assignment",
        object_id=assignment.pk,
        occasion=occasion,
        study_id=document.study_id,
        title=titles[kind]
        % {"title": document.title, "deadline": deadline_text(review_round.deadline)},
        link=words.link(review_round),
        template=kind,
        context=words.context(review_round),
        attachments=attachments,
    )


def _still_partner() -> Exists:
    return Exists(
        Membership.objects.filter(
            study_id=OuterRef("round__version__document__study_id"),
            user_id=OuterRef("partner_id"),
            role=Role.PARTNER,
            left_on__isnull=True,
        )
    )


def _not_told(kind: str, occasion: str = "") -> Exists:
    return Exists(
        Notification.objects.filter(
            kind=kind, object_type="assignment", object_id=OuterRef("pk"), occasion=occasion
        )
    )


def _assignments(**filters: object) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(**filters)
        .exclude(state=AssignmentState.FINISHED)
        .filter(_still_partner())
        .select_related("partner__profile", "round__version__document__study")
        .only(
            "id",
            "state",
            "round_id",
            "partner__id",
            "partner__email",
            "partner__display_name",
            "partner__is_active",
            "partner__former_number",
            "partner__profile__email_frequency",
            "round__id",
            "round__deadline",
            "round__opens_at",
            "round__instructions",
            "round__version__id",
            "round__version__number",
            "round__version__document__id",
            "round__version__document__title",
            "round__version__document__study__id",
            "round__version__document__study__title",
        )
        .order_by("round_id", "id")
    )


def _current_occasion(review_round: ReviewRound, now: dt.datetime) -> str:
    """The latest reminder now due ("1d" once the one-day reminder is due), or ""."""
    days = sorted({int(d) for d in review_round.reminder_days or [] if 0 < int(d) <= 60})
    for day in days:  # fewest days first: the nearest reminder wins
        if reminder_due_at(review_round.deadline, day) <= now:
            return f"{day}d"
    return ""


def rounds_scan(*, now: dt.datetime | None = None) -> int:
    """Record every review notification now due; returns how many were offered."""
    now = now or timezone.now()
    words = _RoundWords()
    messages: list[Message] = []
    opened = _assignments(round__opens_at__lte=now, round__deadline__gt=now).filter(
        ~_not_told(Kind.ROUND_OPENED)
    )
    messages += [_assignment_message(a, Kind.ROUND_OPENED, words=words) for a in opened]
    # Deadlines near: the rounds are few, so each one's due reminder is worked out here.
    open_rounds = ReviewRound.objects.filter(opens_at__lte=now, deadline__gt=now).only(
        "id", "deadline", "reminder_days"
    )
    by_occasion: dict[str, list[int]] = defaultdict(list)
    for review_round in open_rounds:
        occasion = _current_occasion(review_round, now)
        if occasion:
            by_occasion[occasion].append(review_round.pk)
    for occasion, round_ids in by_occasion.items():
        near = _assignments(round_id__in=round_ids).filter(~_not_told(Kind.DEADLINE_NEAR, occasion))
        messages += [_assignment_message(a, Kind.DEADLINE_NEAR, occasion, words) for a in near]
    passed_filter = {"round__deadline__lte": now, "round__deadline__gt": now - PASSED_WINDOW}
    passed = _assignments(**passed_filter).filter(~_not_told(Kind.DEADLINE_PASSED, "passed"))
    messages += [_assignment_message(a, Kind.DEADLINE_PASSED, "passed", words) for a in passed]
    messages += _overdue_summaries(now)
    with transaction.atomic():
        return notifications_record(messages)


def _overdue_summaries(now: dt.datetime) -> list[Message]:
    """To each coordinator, once per round: who did not finish by the deadline."""
    told = Notification.objects.filter(
        kind=Kind.ROUND_OVERDUE, object_type="round", object_id=OuterRef("round_id")
    )
    missing = list(
        Assignment.objects.filter(round__deadline__lte=now, round__deadline__gt=now - PASSED_WINDOW)
        .exclude(state=AssignmentState.FINISHED)
        .filter(~Exists(told))
        .select_related("partner", "round__version__document__study")
        .order_by("round_id", "partner__display_name")
    )
    if not missing:
        return []
    by_round: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in missing:
        by_round[assignment.round_id].append(assignment)
    study_ids = {a.round.version.document.study_id for a in missing}
    coordinators: dict[int, list[User]] = defaultdict(list)
    for membership in Membership.objects.filter(
        study_id__in=study_ids, role=Role.COORDINATOR, left_on__isnull=True
    ).select_related("user__profile"):
        coordinators[membership.study_id].append(membership.user)
    messages = []
    for assignments in by_round.values():
        review_round = assignments[0].round
        document = review_round.version.document
        names = [(a.partner.display_name, a.get_state_display()) for a in assignments]
        for coordinator in coordinators[document.study_id]:
            messages.append(
                Message(
                    recipient=coordinator,
                    kind=Kind.ROUND_OVERDUE,
                    object_type="round",
                    object_id=review_round.pk,
                    study_id=document.study_id,
                    title=_("%(n)s not finished reviewing “%(title)s” by the deadline")
                    % {"n": len(names), "title": document.title},
                    link=round_page(review_round),
                    template="round_overdue",
                    context={**_round_context(review_round), "missing": names},
                )
            )
    return messages


def round_page(review_round: ReviewRound) -> str:
    return reverse("round_detail", args=[review_round.version.document.study_id, review_round.pk])


# --- the team reminds by hand ----------------------------------------------------------------


def last_reminded(review_round: ReviewRound) -> dict[int, dt.datetime]:
    """When each assignment of the round was last reminded (opening included)."""
    rows = (
        Notification.objects.filter(
            kind__in=REMINDER_KINDS,
            object_type="assignment",
            object_id__in=Assignment.objects.filter(round=review_round).values("pk"),
        )
        .values("object_id")
        .annotate(last=Max("created_at"))
    )
    return {row["object_id"]: row["last"] for row in rows}


def round_remind(
    *, review_round: ReviewRound, now: dt.datetime | None = None
) -> tuple[int, dt.datetime | None]:
    """Remind every partner who has not finished and was not reminded by hand in the last
    24 hours. Returns how many were reminded and, if some were not, when they next can be."""
    now = now or timezone.now()
    if not review_round.opens_at <= now < review_round.deadline:
        raise RuleBroken(_("Reminders can be sent while the review is open."))
    with transaction.atomic():
        # One reminder at a time per round: pressing twice sends one email.
        ReviewRound.objects.select_for_update().filter(pk=review_round.pk).first()
        recent = dict(
            Notification.objects.filter(
                kind=Kind.REVIEW_REMINDER,
                object_type="assignment",
                object_id__in=Assignment.objects.filter(round=review_round).values("pk"),
                created_at__gt=now - MANUAL_REMINDER_GAP,
            )
            .values("object_id")
            .annotate(last=Max("created_at"))
            .values_list("object_id", "last")
        )
        candidates = list(_assignments(round=review_round))
        due = [a for a in candidates if a.pk not in recent]
        words = _RoundWords()
        notifications_record(
            _assignment_message(a, Kind.REVIEW_REMINDER, now.isoformat(timespec="seconds"), words)
            for a in due
        )
    waiting = [recent[a.pk] for a in candidates if a.pk in recent]
    next_allowed = min(waiting) + MANUAL_REMINDER_GAP if waiting else None
    return len(due), next_allowed


def failed_for_round(review_round: ReviewRound) -> list[Notification]:
    """Reminders of this round that could not be emailed, with who to and why."""
    return list(
        Notification.objects.filter(
            kind__in=[*REMINDER_KINDS, Kind.DEADLINE_PASSED],
            object_type="assignment",
            object_id__in=Assignment.objects.filter(round=review_round).values("pk"),
            delivery=Delivery.FAILED,
        )
        .select_related("recipient")
        .order_by("-created_at")
    )


def round_opened_notify(*, review_round: ReviewRound, now: dt.datetime | None = None) -> int:
    """Tell the partners at once when a round opens as it is set up (later ones: the scan)."""
    now = now or timezone.now()
    if not review_round.opens_at <= now < review_round.deadline:
        return 0
    opened = _assignments(round=review_round).filter(~_not_told(Kind.ROUND_OPENED))
    words = _RoundWords()
    return notifications_record(
        _assignment_message(a, Kind.ROUND_OPENED, words=words) for a in opened
    )


def _partners_comments(version_id: int, *, replies: bool) -> Count:
    """How many comments (or replies) each assigned partner left on the version, not withdrawn."""
    return Count(
        "partner__comments",
        filter=Q(
            partner__comments__version_id=version_id,
            partner__comments__withdrawn_at__isnull=True,
            partner__comments__parent__isnull=not replies,
        ),
    )


def round_progress(review_round: ReviewRound) -> list[Assignment]:
    """Each assigned partner with their state, how many comments they made and when they
    were last reminded; in two queries whatever the number of partners."""
    assignments: list[Assignment] = list(
        Assignment.objects.filter(round=review_round)
        .select_related("partner")
        .annotate(
            # Comments start conversations, as the involvement log counts them; replies apart.
            comment_count=_partners_comments(review_round.version_id, replies=False),
            reply_count=_partners_comments(review_round.version_id, replies=True),
        )
        .order_by("partner__display_name", "id")
    )
    reminded = last_reminded(review_round)
    for assignment in assignments:
        assignment.last_reminded = reminded.get(assignment.pk)  # type: ignore[attr-defined]
    return assignments


# --- answers and replies ---------------------------------------------------------------------


def _thread_link(thread: Comment) -> str:
    return thread_address(version_link(thread.version), thread.pk)


def _team_among(study_id: int, people: set[int]) -> set[int]:
    if not replies_enabled() or not people:
        return set()  # only replying by email needs to know
    return set(
        Membership.objects.filter(
            study_id=study_id, user_id__in=people, role__in=team_roles(), left_on__isnull=True
        ).values_list("user_id", flat=True)
    )


def _reply_thread(thread: Comment, is_team: bool) -> int | None:
    """The conversation the person may answer by replying to the email, if any: as the
    replies by email are taken (documents.services.email_replies), a partner's only while
    its round is open."""
    if not replies_enabled():
        return None
    review_round = thread.round
    if is_team or review_round is None or review_round.deadline > timezone.now():
        return thread.pk
    return None


def answer_notify(*, response: Response) -> None:
    """Tell the comment's author that the team published an answer."""
    thread = response.comment
    if response.published_at is None or thread.author_id == response.author_id:
        return
    document = thread.version.document
    is_team = bool(_team_among(document.study_id, {thread.author_id}))
    notifications_record(
        [
            Message(
                recipient=thread.author,
                kind=Kind.COMMENT_ANSWERED,
                object_type="comment",
                object_id=thread.pk,
                occasion=response.published_at.isoformat(timespec="seconds"),
                study_id=document.study_id,
                title=_("The team answered your comment on “%(title)s”")
                % {"title": document.title},
                link=_thread_link(thread),
                template="comment_answered",
                context={
                    "document_title": document.title,
                    "comment_text": thread.body[:500],
                    "outcome": response.get_outcome_display(),
                    "answer": response.body,
                },
                reply_thread_id=_reply_thread(thread, is_team),
            )
        ]
    )


def reply_notify(*, reply: Comment) -> None:
    """Tell the others in the conversation that someone replied."""
    thread = reply.parent
    if thread is None:
        return
    document = thread.version.document
    people = {thread.author_id} | set(
        Comment.objects.filter(parent=thread, withdrawn_at__isnull=True).values_list(
            "author_id", flat=True
        )
    )
    # Whoever published the team's answer is in the conversation too: a follow-up question
    # after it leaves the comment "Answered", and would otherwise reach nobody on the team.
    answered_by = (
        Response.objects.filter(comment=thread, published_at__isnull=False)
        .values_list("author_id", flat=True)
        .first()
    )
    if answered_by is not None:
        people.add(answered_by)
    people.discard(reply.author_id)
    if reply.entered_by_id is not None:
        people.discard(reply.entered_by_id)  # who entered it for the author knows of it
    roles = None if thread.visibility != Visibility.TEAM else [Role.RESEARCHER, Role.COORDINATOR]
    members = _current_members({(document.study_id, pk) for pk in people}, roles)
    recipients = [
        user
        for user in User.objects.filter(pk__in=people).select_related("profile")
        if user.pk == thread.author_id or (document.study_id, user.pk) in members
    ]
    team = _team_among(document.study_id, {user.pk for user in recipients})
    notifications_record(
        Message(
            recipient=user,
            kind=Kind.THREAD_REPLY,
            object_type="comment",
            object_id=reply.pk,
            study_id=document.study_id,
            title=_("%(name)s replied about “%(title)s”")
            % {"name": reply.author.display_name, "title": document.title},
            link=_thread_link(thread),
            template="thread_reply",
            context={
                "author_name": reply.author.display_name,
                "document_title": document.title,
                "reply_text": reply.body[:1000],
            },
            reply_thread_id=_reply_thread(thread, user.pk in team),
        )
        for user in recipients
    )


def comments_entered_notify(*, first: Comment, count: int) -> None:
    """Tell a partner that a coordinator added their comments (from a Word file) for them:
    they are the partner's, so the partner should hear of it before anyone answers them."""
    coordinator = first.entered_by
    if count < 1 or coordinator is None:
        return
    document = first.version.document
    thread = first.parent or first
    notifications_record(
        [
            Message(
                recipient=first.author,
                kind=Kind.COMMENTS_ENTERED_FOR_YOU,
                object_type="comment",
                object_id=first.pk,
                study_id=document.study_id,
                title=ngettext(
                    "%(name)s added %(n)s comment for you on “%(title)s”",
                    "%(name)s added %(n)s comments for you on “%(title)s”",
                    count,
                )
                % {"name": coordinator.display_name, "n": count, "title": document.title},
                link=_thread_link(thread),
                template="comments_entered_for_you",
                context={
                    "coordinator_name": coordinator.display_name,
                    "count": count,
                    "document_title": document.title,
                },
            )
        ]
    )


# --- still relevant when sent? ---------------------------------------------------------------


def _current_members(
    pairs: set[tuple[int, int]], roles: Iterable[str] | None = None
) -> set[tuple[int, int]]:
    """Which (study, person) pairs are current memberships, in one query."""
    if not pairs:
        return set()
    memberships = Membership.objects.filter(
        study_id__in={study for study, _ in pairs},
        user_id__in={user for _, user in pairs},
        left_on__isnull=True,
    )
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return set(memberships.values_list("study_id", "user_id")) & pairs


def _assignments_still_open(notifications: Sequence[Notification]) -> dict[int, str]:
    found = {
        pk: (study_id, partner_id, state)
        for pk, study_id, partner_id, state in Assignment.objects.filter(
            pk__in=[n.object_id for n in notifications]
        ).values_list("pk", "round__version__document__study_id", "partner_id", "state")
    }
    members = _current_members(
        {(study, partner) for study, partner, _ in found.values()}, [Role.PARTNER]
    )
    reasons = {}
    for notification in notifications:
        assignment = found.get(notification.object_id)
        if assignment is None:
            reasons[notification.pk] = "the review round was removed"
        elif assignment[:2] not in members:
            reasons[notification.pk] = "the partner has left the study"
        elif notification.kind != Kind.ROUND_OPENED and assignment[2] == AssignmentState.FINISHED:
            reasons[notification.pk] = "the partner has finished the review"
    return reasons


def _rounds_still_there(notifications: Sequence[Notification]) -> dict[int, str]:
    rounds = {
        r.pk: r
        for r in ReviewRound.objects.filter(
            pk__in=[n.object_id for n in notifications]
        ).select_related("version__document")
    }
    pairs = {
        (rounds[n.object_id].version.document.study_id, n.recipient_id)
        for n in notifications
        if n.object_id in rounds
    }
    members = _current_members(pairs, [Role.COORDINATOR])
    reasons = {}
    for notification in notifications:
        review_round = rounds.get(notification.object_id)
        if review_round is None:
            reasons[notification.pk] = "the review round was removed"
        elif (review_round.version.document.study_id, notification.recipient_id) not in members:
            reasons[notification.pk] = "the person is no longer a coordinator of the study"
    return reasons


def _comments_still_there(notifications: Sequence[Notification]) -> dict[int, str]:
    comments = {
        c.pk: c
        for c in Comment.objects.filter(pk__in=[n.object_id for n in notifications]).select_related(
            "version__document"
        )
    }
    pairs = {
        (comments[n.object_id].version.document.study_id, n.recipient_id)
        for n in notifications
        if n.object_id in comments
    }
    members = _current_members(pairs)
    reasons = {}
    for notification in notifications:
        comment = comments.get(notification.object_id)
        if comment is None or comment.withdrawn_at is not None:
            reasons[notification.pk] = "the comment was withdrawn"
        elif (comment.version.document.study_id, notification.recipient_id) not in members:
            reasons[notification.pk] = "the person has left the study"
    return reasons


def relevance_checks_register() -> None:
    for kind in (Kind.ROUND_OPENED, Kind.DEADLINE_NEAR, Kind.DEADLINE_PASSED, Kind.REVIEW_REMINDER):
        relevance_register(kind, _assignments_still_open)
    relevance_register(Kind.ROUND_OVERDUE, _rounds_still_there)
    relevance_register(Kind.COMMENT_ANSWERED, _comments_still_there)
    relevance_register(Kind.THREAD_REPLY, _comments_still_there)
    relevance_register(Kind.COMMENTS_ENTERED_FOR_YOU, _comments_still_there)
