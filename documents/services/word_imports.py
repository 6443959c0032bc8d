"""Bringing in comments made in Word: read and placed first, added only once confirmed."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.anchoring import to_selectors
from documents.conversion.errors import ConversionError
from documents.models import (
    Comment,
    Version,
    VersionStatus,
    Visibility,
    WordImport,
    WordImportState,
)
from documents.reminders import comments_entered_notify
from documents.services.comments import comment_create, comment_reply
from documents.services.versions import version_blocks
from documents.wordimport import propose
from portal.accounts.models import User
from portal.rules import RuleBroken

MAX_COMMENTS = 500


@dataclass(frozen=True)
class Choice:
    """What the person decided for one comment: bring it in or not, in these words."""

    include: bool
    text: str


def word_import_start(
    *,
    version: Version,
    person: User,
    filename: str,
    data: bytes,
    on_behalf_of: User | None = None,
) -> WordImport:
    """Read a Word copy of the version and keep what was found, for the person to check.

    ``on_behalf_of``: a partner whose Word file a coordinator brings in for them; the
    caller has checked that the person may (``documents.access.proxy_partner_in``).
    """
    if on_behalf_of is not None and on_behalf_of.pk == person.pk:
        on_behalf_of = None
    if version.status != VersionStatus.READY:
        raise RuleBroken(_("This version is still being prepared."))
    try:
        proposals = propose(data, version_blocks(version))
    except ConversionError as error:
        raise RuleBroken(str(error)) from error
    if not proposals:
        raise RuleBroken(
            _("We found no comments or tracked changes in this Word file, so nothing was added.")
        )
    if len(proposals) > MAX_COMMENTS:
        raise RuleBroken(
            _("This Word file has more than %(n)s comments. Please send it in smaller parts.")
            % {"n": MAX_COMMENTS}
        )
    if not any(p.placed for p in proposals):
        raise RuleBroken(
            _(
                "None of the comments in this file could be found in this version's text: it "
                "does not seem to be a copy of this document. Nothing was saved."
            )
        )
    said = _said_here(version)
    rows = []
    for proposal in proposals:
        anchor = proposal.placement.anchor
        block_id = proposal.placement.block_id or ""
        text = proposal.comment.text.strip()
        rows.append(
            {
                "key": proposal.comment.key,
                "kind": proposal.comment.kind,
                "author": proposal.comment.author,
                "text": text,
                "parent": proposal.comment.parent,
                "block_id": block_id,
                "selectors": to_selectors(anchor) if anchor is not None else [],
                "method": proposal.placement.method,
                "confidence": round(proposal.placement.confidence, 2),
                "quote": proposal.quote,
                # Already said here (a copy downloaded from the portal carries its comments).
                "already": _said_in(text, said) is not None,
            }
        )
    WordImport.objects.filter(version=version, person=person, state=WordImportState.WAITING).update(
        state=WordImportState.CANCELLED, finished_at=timezone.now()
    )
    return WordImport.objects.create(
        version=version,
        person=person,
        on_behalf_of=on_behalf_of,
        filename=filename[:255],
        proposals=rows,
    )


@transaction.atomic
def word_import_confirm(
    *, word_import: WordImport, choices: dict[str, Choice], is_team: bool
) -> int:
    """Add the chosen comments and replies, as the person's own; returns how many.

    Brought in for a partner (``on_behalf_of``), they are the partner's, entered by the
    person, under the partner's rules: their round, its deadline, independent review.
    All or nothing: if the review has closed meanwhile, nothing is added and the comments
    stay here to be added once it is open again.
    """
    locked = WordImport.objects.select_for_update().get(pk=word_import.pk)
    if locked.state != WordImportState.WAITING:
        raise RuleBroken(_("These comments were already added or set aside."))
    version = locked.version
    entered_by = locked.person if locked.on_behalf_of_id is not None else None
    person = locked.on_behalf_of or locked.person
    if entered_by is not None:
        is_team = False  # the partner's comments, under the partner's rules
    made: dict[str, Comment] = {
        c.source_key: c
        for c in Comment.objects.filter(version=version, author=person).exclude(source_key="")
    }
    said = _said_here(version)
    added = 0
    first_added: Comment | None = None
    for row in locked.proposals:
        if row["already"]:
            # A reply made in Word to a conversation already here goes into that conversation.
            known = _said_in(row["text"], said)
            if known is not None:
                made.setdefault(row["key"], known)
            continue
        choice = choices.get(row["key"], Choice(include=False, text=""))
        text = choice.text.strip()
        if not choice.include or not text or row["key"] in made:
            continue
        parent = made.get(row["parent"] or "")
        if row["parent"] and parent is None:
            continue  # a reply whose conversation was left out
        if parent is not None:
            comment = comment_reply(
                thread=parent.parent or parent,
                author=person,
                body=text,
                entered_by=entered_by,
                source_key=row["key"],
            )
        else:
            placed = row["block_id"] and row["method"] != "unplaced"
            if not placed and row["quote"]:
                text = _("About “%(quote)s”: %(text)s") % {"quote": row["quote"], "text": text}
            comment = comment_create(
                version=version,
                author=person,
                body=text,
                block_id=row["block_id"] if placed else None,
                selectors=row["selectors"] if placed else [],
                visibility=Visibility.MEMBERS,
                is_team=is_team,
                entered_by=entered_by,
                source_key=row["key"],
            )
        made[row["key"]] = comment
        if comment.source_key == row["key"]:
            added += 1  # not the same words sent a moment ago
            first_added = first_added or comment
    locked.state = WordImportState.DONE
    locked.finished_at = timezone.now()
    locked.save(update_fields=["state", "finished_at"])
    if entered_by is not None and first_added is not None:
        comments_entered_notify(first=first_added, count=added)
    return added


def word_import_cancel(*, word_import: WordImport) -> None:
    WordImport.objects.filter(pk=word_import.pk, state=WordImportState.WAITING).update(
        state=WordImportState.CANCELLED, finished_at=timezone.now()
    )


def _said_here(version: Version) -> list[tuple[str, Comment]]:
    """What is already said on the version (comments, replies, published answers), longest
    first, with the conversation each belongs to."""
    said: list[tuple[str, Comment]] = []
    for comment in Comment.objects.filter(version=version).select_related("parent", "response"):
        thread = comment.parent or comment
        said.append((" ".join(comment.body.split()), thread))
        response = getattr(comment, "response", None)
        if response is not None and response.published_at and response.body.strip():
            said.append((" ".join(response.body.split()), thread))
    return sorted(said, key=lambda item: -len(item[0]))


def _said_in(text: str, said: list[tuple[str, Comment]]) -> Comment | None:
    words = " ".join(text.split())
    return next((thread for body, thread in said if body and body in words), None)
