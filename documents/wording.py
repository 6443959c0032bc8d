"""The fixed wording of a thread of comments, in the active language.

A page lists up to a page of threads, each with a dozen fixed phrases: they are translated
once per language here, not once per thread.
"""

from __future__ import annotations

import functools
import hashlib

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from documents.models import Comment, Outcome, ThreadState


def thread_labels() -> dict[str, str]:
    return labels_in(translation.get_language())


@functools.cache
def labels_in(language: str) -> dict[str, str]:
    return {
        "team_only": _("Team only"),
        "from_version": _("From version"),
        "approximately": _("Placed approximately"),
        "on_passage": _("On the passage:"),
        "on_paragraph": _("On the paragraph:"),
        "was_about": _("It was about:"),
        "on_document": _("On the whole document"),
        "withdrawn": _("This comment was withdrawn by its author."),
        "reply_withdrawn": _("This reply was withdrawn by its author."),
        "edited": _("Edited"),
        "you_said": _("You said, we did"),
        "team_draft": _("Team draft: partners cannot see this yet"),
        "in_version": _("in version"),
        "why": _("Why:"),
        "edit": _("Edit"),
        "withdraw": _("Withdraw"),
        "your_reply": _("your reply"),
        "your_comment": _("your comment"),
        "happy": _("I am happy with the answer"),
        "reopen": _("Reopen with a note"),
        "answer": _("Answer"),
        "change_answer": _("Change the answer"),
        "comment_by": _("the comment by"),
        "resolve": _("Mark resolved"),
        "reply": _("Reply"),
        "continue_reply": _("Continue your unsent reply"),
        "to": _("to"),
    }


@functools.cache
def labels_digest(language: str) -> str:
    """What the wording is, so that threads rendered in other wording are not reused."""
    return hashlib.sha256(repr(sorted(labels_in(language).items())).encode()).hexdigest()


def earlier_replies(count: int) -> str:
    """The summary of a long thread's folded replies."""
    return ngettext("%(n)s earlier reply", "%(n)s earlier replies", count) % {"n": count}


def proxy_note(comment: Comment, reader_id: int | None) -> str:
    """Who entered a comment for its author, as the page shows it: to the author, "for you".
    The comment has its author and whoever entered it loaded."""
    if not comment.by_proxy or comment.entered_by is None:
        return ""
    if reader_id is not None and comment.author_id == reader_id:
        return _("Entered for you by %(by)s") % {"by": comment.entered_by.display_name}
    return _("Entered by %(by)s on behalf of %(partner)s") % {
        "by": comment.entered_by.display_name,
        "partner": comment.author.display_name,
    }


def answer_outcome(outcome: str, state: str) -> str:
    """What the team's published answer did, and that the partner reopened it since, if so:
    an answer stays published when its partner reopens the conversation."""
    label = str(Outcome(outcome).label)
    if state == ThreadState.OPEN:
        return _("%(outcome)s, then reopened by the partner") % {"outcome": label}
    return label
