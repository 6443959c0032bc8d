"""The team's answers to comments: "you said, we did"."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.models import Comment, Outcome, Response, ThreadState, Version, VersionStatus
from documents.reminders import answer_notify
from portal.accounts.models import User
from portal.rules import RuleBroken


@transaction.atomic
def response_save(
    *,
    thread: Comment,
    author: User,
    outcome: str,
    body: str,
    reason: str = "",
    changed_in: Version | None = None,
    publish: bool,
) -> Response:
    """Save the team's answer as a draft, or publish it so the partner sees it."""
    thread = Comment.objects.select_for_update().get(pk=thread.pk)
    if thread.parent_id is not None:
        raise RuleBroken(_("Answer the first comment of the conversation."))
    if thread.withdrawn_at is not None:
        raise RuleBroken(_("This comment was withdrawn, so it needs no answer."))
    if outcome not in Outcome.values:
        raise RuleBroken(_("Choose what happened as a result of the comment."))
    body, reason = (body or "").strip(), (reason or "").strip()
    if not body:
        raise RuleBroken(_("Say what the team did, in words the partner will understand."))
    if outcome == Outcome.NOT_CHANGED and not reason:
        raise RuleBroken(_("Give the reason nothing was changed."))
    if changed_in is not None:
        if outcome not in {Outcome.CHANGED, Outcome.PARTLY_CHANGED}:
            changed_in = None
        elif (
            changed_in.document_id != thread.version.document_id
            or changed_in.number <= thread.version.number
            or changed_in.status != VersionStatus.READY
        ):
            raise RuleBroken(_("Choose a version of this document from after the comment."))
    response, _created = Response.objects.update_or_create(
        comment=thread,
        defaults={
            "outcome": outcome,
            "body": body,
            "reason": reason if outcome == Outcome.NOT_CHANGED else "",
            "changed_in": changed_in,
            "author": author,
        },
    )
    if publish:
        # Publishing again (say after the partner reopened the thread) makes it new to them.
        response.published_at = timezone.now()
        response.save(update_fields=["published_at"])
        answer_notify(response=response)
    if response.published_at is not None and thread.state == ThreadState.OPEN:
        Comment.objects.filter(pk=thread.pk).update(state=ThreadState.ANSWERED)
    return response
