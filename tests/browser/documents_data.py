"""A study with a converted document and an open review round, for the browser tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from documents.models import Document, ReviewRound, Version, VersionStatus
from documents.services.rounds import round_open
from documents.services.versions import document_create, version_add, version_convert
from engagement.models import Study
from engagement.services import study_create
from portal.accounts.models import User
from portal.permissions import Role
from tests.conftest import give_totp
from tests.factories import MembershipFactory, UserFactory

SENTENCE = "Taking part will mean three short visits to the clinic over six months."

MARKDOWN = f"""# Information for people taking part

We are asking people who live with arthritis to help us test a new exercise plan.
{SENTENCE} You can stop at any time without giving a reason.

## What will happen

- You will meet a physiotherapist at the start.
- You will try the exercises at home for twelve weeks.
- We will phone you once a month to see how you are getting on.

## Who to contact

If you have questions, please ask the study team. Your details are kept safely and
are only seen by the people running the study.
"""

MARKDOWN_V2 = MARKDOWN.replace("twelve weeks", "ten weeks")


@dataclass
class DocWorld:
    study: Study
    coordinator: User
    partner: User
    document: Document
    version: Version
    review_round: ReviewRound

    def version_path(self, version: Version | None = None) -> str:
        version = version or self.version
        return f"/studies/{self.study.pk}/documents/{self.document.pk}/versions/{version.number}/"


def ready_version(
    study: Study, by: User, markdown: str = MARKDOWN, title: str = "Information sheet"
) -> Version:
    """A first version, put through the real conversion."""
    version = document_create(
        study=study,
        title=title,
        kind="information_sheet",
        stage=None,
        data=markdown.encode(),
        filename="information-sheet.md",
        change_summary="First draft.",
        created_by=by,
    )
    version_convert(version_id=version.pk)
    version.refresh_from_db()
    assert version.status == VersionStatus.READY, version.failure_reason
    return version


def next_version(version: Version, by: User, data: bytes, filename: str) -> Version:
    new = version_add(
        document=version.document,
        data=data,
        filename=filename,
        change_summary="Shorter exercise period.",
        uploaded_by=by,
    )
    version_convert(version_id=new.pk)
    new.refresh_from_db()
    return new


def make_world() -> DocWorld:
    coordinator = UserFactory(display_name="Cora Coordinator")
    give_totp(coordinator)
    study = study_create(
        created_by=coordinator,
        title="Living well with arthritis",
        lay_summary="How people manage pain at home.",
        status="active",
    )
    partner = MembershipFactory(
        study=study, role=Role.PARTNER, user__display_name="Pat Partner"
    ).user
    version = ready_version(study, coordinator)
    now = timezone.now()
    review_round = round_open(
        version=version,
        partners=[partner],
        opens_at=now - dt.timedelta(hours=1),
        deadline=now + dt.timedelta(days=14),
        instructions="Is anything unclear?",
        independent=False,
        created_by=coordinator,
    )
    return DocWorld(study, coordinator, partner, version.document, version, review_round)


def block_with(version: Version, text: str) -> dict[str, Any]:
    """The stored block whose text contains ``text``."""
    return next(b for b in version.blocks if text in b["text"])


@dataclass
class FullWorld(DocWorld):
    """Also: comments, replies and answers (one a team draft), a second, a failed and a
    still-being-prepared version."""

    second: Version
    failed: Version
    preparing: Version
    answered: Any
    drafted: Any
    own_reply: Any


def make_full_world() -> FullWorld:
    from documents.anchoring import anchor_from_selection, to_selectors
    from documents.blocks import Block
    from documents.services.comments import comment_create, comment_reply
    from documents.services.responses import response_save

    w = make_world()
    block = Block.from_dict(block_with(w.version, SENTENCE))
    start = block.text.index(SENTENCE)
    anchor = anchor_from_selection(block, start, start + len(SENTENCE))
    answered = comment_create(
        version=w.version,
        author=w.partner,
        body="How long is each visit?",
        block_id=block.id,
        selectors=to_selectors(anchor),
        visibility="members",
        is_team=False,
    )
    own_reply = comment_reply(thread=answered, author=w.partner, body="Roughly, I mean.")
    comment_reply(thread=answered, author=w.coordinator, body="About an hour.")
    response_save(
        thread=answered,
        author=w.coordinator,
        outcome="changed",
        body="We added the length of each visit.",
        publish=True,
    )
    drafted = comment_create(
        version=w.version,
        author=w.partner,
        body="The whole sheet is clear, thank you.",
        block_id="",
        selectors=[],
        visibility="team",
        is_team=False,
    )
    response_save(
        thread=drafted,
        author=w.coordinator,
        outcome="not_changed",
        body="Thank you.",
        reason="Nothing needed changing.",
        publish=False,
    )
    second = next_version(w.version, w.coordinator, MARKDOWN_V2.encode(), "sheet-v2.md")
    other = ready_version(w.study, w.coordinator, title="Consent form")
    failed = next_version(other, w.coordinator, b"PK\x03\x04 not really a docx", "broken.docx")
    preparing = Version.objects.create(
        document=other.document,
        number=failed.number + 1,
        original_name="later.md",
        uploaded_by=w.coordinator,
    )
    return FullWorld(
        w.study,
        w.coordinator,
        w.partner,
        w.document,
        w.version,
        w.review_round,
        second,
        failed,
        preparing,
        answered,
        drafted,
        own_reply,
    )
