"""Replies by email: posted in the conversation by the same rules as a reply typed on its page.

The person must still be a member whose role may comment, and able to see the conversation
(its visibility, an independent review not yet finished); the thread must not be withdrawn.
A partner's reply to a conversation of a review round that has closed is not taken by email:
the email offering it may be weeks old, and the round's coordinator decides what comes after
the deadline. Each refusal says why, and links to the conversation when the person may see it.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from documents.access import comment_in
from documents.calendar import version_link
from documents.links import thread_address
from documents.models import Comment
from documents.services.comments import MAX_BODY, comment_reply
from engagement.access import StudyAccess
from engagement.models import Membership
from portal.notifications.inbound import InboundReply, PostedReply, ReplyRefused
from portal.notifications.models import InboundOutcome
from portal.notifications.services import absolute
from portal.permissions import Action
from portal.rules import RuleBroken


def _not_visible() -> ReplyRefused:
    return ReplyRefused(
        _(
            "You can no longer see this conversation in the portal (you may have left the "
            "study, or the conversation was removed), so your reply was not added."
        ),
        outcome=InboundOutcome.NOT_VISIBLE,
    )


def _visible_thread(reply: InboundReply) -> tuple[Comment, StudyAccess]:
    """The conversation, as the person may see it on its page, or a refusal."""
    study_id = (
        Comment.objects.filter(pk=reply.thread_id)
        .values_list("version__document__study_id", flat=True)
        .first()
    )
    membership = (
        Membership.objects.select_related("study")
        .filter(study_id=study_id, user=reply.person, left_on__isnull=True)
        .first()
        if study_id is not None
        else None
    )
    if membership is None:
        raise _not_visible()
    access = StudyAccess(study=membership.study, membership=membership)
    if not access.may(Action.COMMENT):
        raise _not_visible()
    try:
        comment = comment_in(access, reply.thread_id)
    except Http404:
        raise _not_visible() from None
    return comment.parent or comment, access


def reply_by_email(reply: InboundReply) -> PostedReply:
    """Post the reply as the person, or refuse with the reason (``ReplyRefused``)."""
    thread, access = _visible_thread(reply)
    thread = Comment.objects.select_related("version__document", "round").get(pk=thread.pk)
    link = absolute(thread_address(version_link(thread.version), thread.pk))
    if reply.expired:
        raise ReplyRefused(
            _(
                "The email you replied to is more than %(days)s days old, so your reply was "
                "not added. You can reply in the conversation in the portal."
            )
            % {"days": settings.REPLY_MAX_AGE_DAYS},
            outcome=InboundOutcome.EXPIRED,
            link=link,
        )
    review_round = thread.round
    if not access.is_team and review_round is not None and review_round.deadline <= timezone.now():
        raise ReplyRefused(
            _(
                "The review of “%(title)s” closed on %(when)s, so replies by email are no "
                "longer taken. You can still read the conversation in the portal, and ask the "
                "coordinator if you have more to say."
            )
            % {
                "title": thread.version.document.title,
                "when": date_format(timezone.localtime(review_round.deadline), "j F Y"),
            },
            outcome=InboundOutcome.ROUND_CLOSED,
            link=link,
        )
    if not reply.text:
        raise ReplyRefused(
            _(
                "We could not find any words in your reply above the quoted message, so "
                "nothing was added. Write your answer at the top of the reply."
            ),
            outcome=InboundOutcome.UNREADABLE,
            link=link,
        )
    if len(reply.text) > MAX_BODY:
        raise ReplyRefused(
            _(
                "Your reply is %(length)s characters long; a reply can be up to 10,000, so it "
                "was not added. Shorten it, or split it into several replies."
            )
            % {"length": f"{len(reply.text):,}"},
            outcome=InboundOutcome.TOO_LONG,
            link=link,
        )
    try:
        comment = comment_reply(
            thread=thread, author=reply.person, body=reply.text, source_key=reply.key[:64]
        )
    except RuleBroken as refusal:
        raise ReplyRefused(str(refusal), link=link) from None
    return PostedReply(comment_id=comment.pk, link=link)
