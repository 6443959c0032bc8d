"""Comments, replies, drafts and the thread states a partner and the team move through."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from documents.anchoring import Anchor, AnchorError, anchor_verify, from_selectors, to_selectors
from documents.blocks import Block
from documents.models import (
    Assignment,
    AssignmentState,
    Comment,
    CommentDraft,
    CommentEdit,
    ReviewRound,
    ThreadState,
    Version,
    VersionStatus,
    Visibility,
)
from documents.reminders import reply_notify
from documents.selectors import current_assignment
from documents.services.rounds import assignment_start
from portal.accounts.models import User
from portal.rules import RuleBroken

MAX_BODY = 10_000
NEW_COMMENT_KEY = "comment"


def reply_key(thread_id: int) -> str:
    return f"reply-{thread_id}"


# "Send" pressed twice (a double click, a slow connection, the same form sent again after
# logging in): the same words from the same person, to the same place, this soon, are the
# comment already sent, not a new one.
SAME_SEND_SECONDS = 120


def _already_sent(
    *, author: User, version_id: int, parent: Comment | None, body: str, block_id: str, quote: str
) -> Comment | None:
    # One send at a time per person: the second of two at once waits, then finds the first.
    list(User.objects.select_for_update().filter(pk=author.pk).values_list("pk", flat=True))
    return (
        Comment.objects.filter(
            author=author,
            version_id=version_id,
            parent=parent,
            body=body,
            block_id=block_id,
            quote=quote,
            withdrawn_at__isnull=True,
            created_at__gte=timezone.now() - timedelta(seconds=SAME_SEND_SECONDS),
        )
        .order_by("pk")
        .first()
    )


def plain_text(value: str | None) -> str:
    """Typed text as it is kept: line breaks as the box counted them, nothing unstorable."""
    # A NUL character cannot be stored in PostgreSQL text and never belongs in a comment; a
    # line break counts once, as the box that took it counts it.
    return (value or "").replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def _clean_body(body: str) -> str:
    body = plain_text(body).strip()
    if not body:
        raise RuleBroken(_("Write your comment before sending it."))
    if len(body) > MAX_BODY:
        raise RuleBroken(_("A comment can be up to 10,000 characters long."))
    return body


def anchor_in(version: Version, block_id: str | None, selectors: Any) -> Anchor:
    """Check that a comment's target exists in this version, or refuse with a message."""
    try:
        anchor = from_selectors(block_id or None, selectors or [])
        if anchor.block_id is None:
            return anchor
        block = next(
            (Block.from_dict(b) for b in version.blocks if b["id"] == anchor.block_id), None
        )
        if block is None:
            raise AnchorError(_("That paragraph is not in this version of the document."))
        return anchor_verify(block, anchor)
    except AnchorError as error:
        raise RuleBroken(str(error)) from None


def open_round_for(version: Version, partner: User) -> tuple[ReviewRound | None, Assignment | None]:
    """The partner's round that matters now on this version (see ``current_assignment``)."""
    assignment = current_assignment(version, partner.pk)
    return (assignment.round, assignment) if assignment else (None, None)


def _round_for_new_comment(
    version: Version, author: User, is_team: bool, entered_by: User | None = None
) -> tuple[ReviewRound | None, Assignment | None]:
    """The author's round for a new comment, refused as it would be for the author typing it.

    ``entered_by``: a coordinator entering the author's comments for them; the same rules
    hold, told to the coordinator.
    """
    review_round, assignment = open_round_for(version, author)
    if is_team:
        return review_round, None
    now = timezone.now()
    name = author.name_seen
    if review_round is None:
        if entered_by is not None:
            raise RuleBroken(
                _("This version is not open for %(name)s's comments.") % {"name": name}
            )
        raise RuleBroken(_("This version is not open for your comments."))
    if now < review_round.opens_at:
        when = date_format(timezone.localtime(review_round.opens_at), "j F Y, H:i")
        if entered_by is not None:
            raise RuleBroken(
                _(
                    "%(name)s's review opens on %(when)s, so their comments cannot be added "
                    "yet. Nothing was added: they are kept here until then."
                )
                % {"name": name, "when": when}
            )
        raise RuleBroken(
            _("This review opens on %(when)s. Your draft is kept until then.") % {"when": when}
        )
    if now >= review_round.deadline:
        when = date_format(timezone.localtime(review_round.deadline), "j F Y, H:i")
        if entered_by is not None:
            raise RuleBroken(
                _(
                    "%(name)s's review closed on %(when)s, so their comments cannot be added. "
                    "Nothing was added: they are kept here, to add once the deadline is "
                    "extended."
                )
                % {"name": name, "when": when}
            )
        raise RuleBroken(
            _(
                "This review closed on %(when)s, so new comments cannot be added. Your draft "
                "is kept: ask the coordinator to extend the deadline."
            )
            % {"when": when}
        )
    if (
        review_round.independent
        and assignment is not None
        and assignment.state == AssignmentState.FINISHED
    ):
        if entered_by is not None:
            raise RuleBroken(
                _(
                    "%(name)s has finished this independent review, so new comments cannot "
                    "be added for them. Replies to comments can still be added."
                )
                % {"name": name}
            )
        raise RuleBroken(
            _(
                "You have finished this independent review, so new comments cannot be added. "
                "You can still reply to comments below."
            )
        )
    return review_round, assignment


@transaction.atomic
def comment_create(
    *,
    version: Version,
    author: User,
    body: str,
    block_id: str | None,
    selectors: Any,
    visibility: str,
    is_team: bool,
    entered_by: User | None = None,
    source_key: str = "",
) -> Comment:
    """Start a thread on the whole document, a block or a passage of this version.

    ``entered_by``: the coordinator entering it on the author's behalf (by proxy); the
    author's rules hold. ``source_key``: the Word comment it was brought in from; the
    author's own unsent comment is then left as it is.
    """
    if version.status != VersionStatus.READY:
        raise RuleBroken(_("This version is still being prepared."))
    if visibility not in Visibility.values:
        raise RuleBroken(_("Choose who can see your comment."))
    body = _clean_body(body)
    anchor = anchor_in(version, block_id, selectors)
    earlier = _already_sent(
        author=author,
        version_id=version.pk,
        parent=None,
        body=body,
        block_id=anchor.block_id or "",
        quote=anchor.exact,
    )
    typed = not source_key
    if earlier is not None:
        if typed:
            draft_discard(author=author, version=version, key=NEW_COMMENT_KEY)
        return earlier
    entered_by = _proxy(author, entered_by)
    review_round, assignment = _round_for_new_comment(version, author, is_team, entered_by)
    comment = Comment.objects.create(
        version=version,
        round=review_round,
        author=author,
        body=body,
        block_id=anchor.block_id or "",
        selectors=to_selectors(anchor),
        quote=anchor.exact,
        visibility=visibility,
        source_key=source_key,
        entered_by=entered_by,
    )
    if assignment is not None:
        assignment_start(assignment=assignment)
    if typed:
        draft_discard(author=author, version=version, key=NEW_COMMENT_KEY)
    _carry_forward(comment)
    return comment


def _proxy(author: User, entered_by: User | None) -> User | None:
    """Who entered a comment for its author; nobody when the author entered it themselves."""
    return None if entered_by is None or entered_by.pk == author.pk else entered_by


def _carry_forward(thread: Comment) -> None:
    """A comment on an older version is placed into every later one at once, so none is lost."""
    from documents.services.versions import threads_reanchor

    later = Version.objects.filter(
        document_id=thread.version.document_id,
        number__gt=thread.version.number,
        status=VersionStatus.READY,
    ).order_by("number")
    for version in later:
        threads_reanchor(version=version)


@transaction.atomic
def comment_reply(
    *,
    thread: Comment,
    author: User,
    body: str,
    entered_by: User | None = None,
    source_key: str = "",
) -> Comment:
    """Reply in a conversation; ``entered_by`` and ``source_key`` as for ``comment_create``."""
    if thread.parent_id is not None:
        raise RuleBroken(_("Reply to the first comment of the conversation."))
    if thread.withdrawn_at is not None:
        raise RuleBroken(_("This comment was withdrawn, so it cannot be answered."))
    body = _clean_body(body)
    if source_key:
        made = Comment.objects.filter(
            version_id=thread.version_id, author=author, source_key=source_key
        ).first()
        if made is not None:
            return made
    earlier = _already_sent(
        author=author,
        version_id=thread.version_id,
        parent=thread,
        body=body,
        block_id=thread.block_id,
        quote="",
    )
    typed = not source_key
    if earlier is not None:
        if typed:
            draft_discard(author=author, version=thread.version, key=reply_key(thread.pk))
        return earlier
    reply = Comment.objects.create(
        version_id=thread.version_id,
        round_id=thread.round_id,
        parent=thread,
        author=author,
        body=body,
        block_id=thread.block_id,
        visibility=thread.visibility,
        source_key=source_key,
        entered_by=_proxy(author, entered_by),
    )
    if typed:
        draft_discard(author=author, version=thread.version, key=reply_key(thread.pk))
    reply_notify(reply=reply)
    return reply


@transaction.atomic
def comment_edit(*, comment: Comment, author: User, body: str) -> Comment:
    """Change your own comment; the earlier wording is kept in its history."""
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if comment.author_id != author.pk:
        raise RuleBroken(_("You can only edit your own comments."))
    if comment.withdrawn_at is not None:
        raise RuleBroken(_("A withdrawn comment cannot be edited."))
    body = _clean_body(body)
    if body == comment.body:
        return comment
    CommentEdit.objects.create(comment=comment, previous_body=comment.body)
    comment.body = body
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    return comment


def comment_withdraw(*, comment: Comment, author: User) -> None:
    if comment.author_id != author.pk:
        raise RuleBroken(_("You can only withdraw your own comments."))
    updated = Comment.objects.filter(pk=comment.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    if not updated:
        raise RuleBroken(_("This comment has already been withdrawn."))


# --- thread states -------------------------------------------------------------------


def _move(thread: Comment, allowed_from: set[str], to: str, refusal: str) -> Comment:
    updated = Comment.objects.filter(
        pk=thread.pk, parent__isnull=True, state__in=allowed_from
    ).update(state=to)
    if not updated:
        raise RuleBroken(refusal)
    thread.state = to
    return thread


def thread_resolve(*, thread: Comment) -> Comment:
    """The team closes an answered thread; the partner may then confirm or reopen it."""
    return _move(
        thread,
        {ThreadState.ANSWERED},
        ThreadState.RESOLVED,
        _("Only an answered comment can be marked resolved."),
    )


def thread_confirm(*, thread: Comment, by: User) -> Comment:
    if thread.author_id != by.pk:
        raise RuleBroken(_("Only the person who made the comment can confirm the answer."))
    return _move(
        thread,
        {ThreadState.ANSWERED, ThreadState.RESOLVED},
        ThreadState.CONFIRMED,
        _("There is no answer to confirm yet."),
    )


@transaction.atomic
def thread_reopen(*, thread: Comment, by: User, note: str) -> Comment:
    """The partner is not satisfied: the thread opens again with their note as a reply."""
    if thread.author_id != by.pk:
        raise RuleBroken(_("Only the person who made the comment can reopen it."))
    note = (note or "").strip()
    if not note:
        raise RuleBroken(_("Say why you are reopening the comment, so the team can respond."))
    _move(
        thread,
        {ThreadState.ANSWERED, ThreadState.RESOLVED, ThreadState.CONFIRMED},
        ThreadState.OPEN,
        _("This comment is already open."),
    )
    comment_reply(thread=thread, author=by, body=note)
    return thread


# --- drafts --------------------------------------------------------------------------


def draft_save(
    *,
    author: User,
    version: Version,
    key: str,
    body: str,
    block_id: str = "",
    selectors: Any = None,
    quote: str = "",
    parent: Comment | None = None,
) -> CommentDraft | None:
    """Keep what is being typed; an emptied box removes the draft."""
    body = plain_text(body)
    if not body.strip():
        draft_discard(author=author, version=version, key=key)
        return None
    block_id = plain_text(block_id)[:20]
    try:
        # Keep only a target that could be used again; the words matter more than the place.
        anchor = from_selectors(block_id or None, selectors or [])
        kept_selectors = to_selectors(anchor)
    except AnchorError:
        block_id, kept_selectors = "", []
    draft, _created = CommentDraft.objects.update_or_create(
        author=author,
        version=version,
        key=plain_text(key)[:64],
        defaults={
            "body": body[:MAX_BODY],
            "block_id": block_id,
            "selectors": kept_selectors,
            "quote": plain_text(quote)[:2000],
            "parent": parent,
        },
    )
    return draft


def draft_discard(*, author: User, version: Version, key: str) -> None:
    CommentDraft.objects.filter(author=author, version=version, key=key).delete()
