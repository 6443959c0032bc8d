"""Builders for the document tests: ready versions, review rounds, comments, selectors.

Versions go through the real services (upload, conversion) unless a test needs sheer size,
when ``constructed_version`` writes the HTML and blocks directly.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from documents.anchoring import CONTEXT_CHARS
from documents.blocks import Block, texts_encoded
from documents.models import (
    Comment,
    Document,
    DocumentKind,
    ReviewRound,
    Version,
    VersionStatus,
    Visibility,
)
from documents.rendition import page_html
from documents.services.comments import comment_create
from documents.services.responses import response_save
from documents.services.rounds import round_open
from documents.services.versions import document_create, version_add, version_convert
from engagement.models import Study
from portal.accounts.models import User
from tests.conftest import StudyTeam

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def markdown_of(paragraphs: list[str]) -> bytes:
    """A Markdown file whose blocks are the given paragraphs (b1, b2 … in this order)."""
    return ("\n\n".join(paragraphs) + "\n").encode()


def upload(
    *,
    study: Study,
    by: User,
    filename: str,
    data: bytes,
    document: Document | None = None,
    title: str = "Participant information sheet",
    change_summary: str = "",
    convert: bool = True,
) -> Version:
    """Store a version through the services and convert it at once, as the worker would."""
    if document is None:
        version = document_create(
            study=study,
            title=title,
            kind=DocumentKind.INFORMATION_SHEET,
            stage=None,
            data=data,
            filename=filename,
            change_summary=change_summary,
            created_by=by,
        )
    else:
        version = version_add(
            document=document,
            data=data,
            filename=filename,
            change_summary=change_summary,
            uploaded_by=by,
        )
    if convert:
        version_convert(version_id=version.pk)
    version.refresh_from_db()
    return version


def ready_version(
    *,
    study: Study,
    by: User,
    paragraphs: list[str] | None = None,
    fixture: str | None = None,
    document: Document | None = None,
    title: str = "Participant information sheet",
) -> Version:
    """A READY version from a fixture file or from a list of paragraphs (Markdown)."""
    if fixture is not None:
        data, filename = fixture_bytes(fixture), Path(fixture).name
    else:
        data, filename = markdown_of(paragraphs or ["A first paragraph."]), "sheet.md"
    version = upload(
        study=study, by=by, filename=filename, data=data, document=document, title=title
    )
    assert version.status == VersionStatus.READY, version.failure_reason
    return version


def open_round(
    version: Version,
    *,
    by: User,
    partners: list[User] | None = None,
    days: int = 14,
    independent: bool = False,
) -> ReviewRound:
    """A round open since a minute ago; ``partners`` None asks every current partner."""
    now = timezone.now()
    return round_open(
        version=version,
        partners=partners,
        opens_at=now - dt.timedelta(minutes=1),
        deadline=now + dt.timedelta(days=days),
        instructions="Please read the whole sheet.",
        independent=independent,
        created_by=by,
    )


def block_id_of(version: Version, text_start: str) -> str:
    return next(b["id"] for b in version.blocks if b["text"].startswith(text_start))


def block_text(version: Version, block_id: str) -> str:
    return next(b["text"] for b in version.blocks if b["id"] == block_id)


def selectors_for(
    version: Version, block_id: str, exact: str, occurrence: int = 0
) -> list[dict[str, Any]]:
    """The selector list a browser sends for a selection of ``exact`` in a block.

    ``occurrence`` chooses a repeated passage: 0 for its first time in the block.
    """
    text = block_text(version, block_id)
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(exact, start + 1)
    end = start + len(exact)
    return [
        {
            "type": "TextQuoteSelector",
            "exact": exact,
            "prefix": text[max(0, start - CONTEXT_CHARS) : start],
            "suffix": text[end : end + CONTEXT_CHARS],
        },
        {"type": "TextPositionSelector", "start": start, "end": end},
    ]


def selectors_json(version: Version, block_id: str, exact: str) -> str:
    return json.dumps(selectors_for(version, block_id, exact))


def thread(
    version: Version,
    author: User,
    body: str = "Could this be shorter?",
    *,
    block_id: str = "",
    exact: str = "",
    visibility: str = Visibility.MEMBERS,
    review_round: ReviewRound | None = None,
    occurrence: int = 0,
) -> Comment:
    """A thread stored directly (the comment services are tested on their own)."""
    return Comment.objects.create(
        version=version,
        round=review_round,
        author=author,
        body=body,
        block_id=block_id,
        selectors=selectors_for(version, block_id, exact, occurrence) if exact else [],
        quote=exact,
        visibility=visibility,
    )


def constructed_version(document: Document, n_blocks: int, *, by: User, number: int = 1) -> Version:
    """A READY version with ``n_blocks`` paragraphs, its HTML and blocks written directly."""
    blocks = [
        Block(f"b{i}", "p", f"Paragraph {i} says something about taking part.", "")
        for i in range(1, n_blocks + 1)
    ]
    rendition = "".join(f'<p id="{b.id}" data-block="{b.id}">{b.text}</p>' for b in blocks)
    return Version.objects.create(
        document=document,
        number=number,
        original_name="big.md",
        original_size=1,
        file_kind="markdown",
        uploaded_by=by,
        status=VersionStatus.READY,
        html=page_html(rendition, blocks),
        blocks=[b.to_dict() for b in blocks],
        texts=texts_encoded(blocks),
        converted_at=timezone.now(),
    )


def open_comment(team: StudyTeam, *, answered: bool = False) -> Comment:
    """A partner's comment on a ready version under an open review round (for every partner).

    With ``answered``, the researcher's published answer to it too.
    """
    document = Document.objects.create(study=team.study, title="Information sheet", kind="other")
    version = Version(document=document, number=1, original_name="sheet.txt")
    version.original.save("sheet", ContentFile(b"Hello"), save=False)
    version.status = VersionStatus.READY
    version.blocks = [{"id": "b1", "kind": "p", "text": "Hello", "html": "Hello"}]
    version.save()
    now = timezone.now()
    round_open(
        version=version,
        partners=None,
        opens_at=now - dt.timedelta(hours=1),
        deadline=now + dt.timedelta(days=3),
        instructions="",
        independent=False,
        created_by=team.coordinator,
    )
    comment = comment_create(
        version=version,
        author=team.partner,
        body="Please explain this.",
        block_id="b1",
        selectors=[],
        visibility="members",
        is_team=False,
    )
    if answered:
        response_save(
            thread=comment,
            author=team.researcher,
            outcome="changed",
            body="We explained it.",
            publish=True,
        )
        comment.refresh_from_db()
    return comment
