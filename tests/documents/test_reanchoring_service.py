"""Open threads move into each new version: at the right paragraph, or listed, never dropped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from documents.models import Comment, CommentPlacement, ThreadState, Version
from documents.services.versions import threads_reanchor
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import (
    block_id_of,
    markdown_of,
    open_round,
    ready_version,
    selectors_json,
)
from tests.factories import MembershipFactory

V1 = [
    "# Walking Back to Health",
    "We want to find out whether a short walking programme helps people with long COVID. "
    "The study will last 12 weeks and you can stop at any time.",
    "You do not have to take part. Your care will not be affected.",
    "We will keep your information safe for five years after the study ends.",
]
V2 = [
    "# Walking Back to Health",
    "This sheet tells you about a study you are invited to join.",
    "We want to find out whether a short guided walking programme helps people with long "
    "COVID. The study will last twelve weeks and you can stop at any time.",
    "You do not have to take part. Your care will not be affected.",
]
QUOTE = "The study will last 12 weeks and you can stop at any time."


def page_url(version: Version) -> str:
    return reverse(
        "version_detail", args=[version.document.study_id, version.document_id, version.number]
    )


def article(content: str, comment: Comment) -> str:
    match = re.search(rf'<article id="thread-{comment.pk}".*?</article>', content, re.S)
    assert match, f"thread {comment.pk} is not on the page"
    return match.group(0)


@pytest.fixture
def first(team: StudyTeam) -> Version:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=V1)
    open_round(version, by=team.coordinator)
    return version


def comment_on(team: StudyTeam, version: Version, body: str, **fields: str) -> Comment:
    client_for(team.partner).post(
        reverse("comment_create", args=[team.study.pk, version.document_id, version.number]),
        {"body": body, **fields},
    )
    return Comment.objects.get(body=body)


def upload_second(
    team: StudyTeam, first: Version, capture: Any, paragraphs: list[str] = V2
) -> Version:
    with capture(execute=True):
        response = client_for(team.researcher).post(
            reverse("version_new", args=[team.study.pk, first.document_id]),
            {
                "change_summary": "Added an introduction and reworded the length.",
                "file": SimpleUploadedFile("sheet-v2.md", markdown_of(paragraphs)),
            },
        )
    assert response.status_code == 302
    second = Version.objects.get(document=first.document, number=first.number + 1)
    assert second.status == "ready", second.failure_reason
    return second


def test_threads_follow_their_passage_into_the_new_version(
    team: StudyTeam, first: Version, django_capture_on_commit_callbacks: Any
) -> None:
    length_block = block_id_of(first, "We want to find out")
    on_passage = comment_on(
        team,
        first,
        "Twelve weeks is a long time.",
        block=length_block,
        selectors=selectors_json(first, length_block, QUOTE),
    )
    on_paragraph = comment_on(
        team, first, "Reassuring.", block=block_id_of(first, "You do not have to take part")
    )
    on_deleted = comment_on(
        team,
        first,
        "Five years is too long.",
        block=block_id_of(first, "We will keep your information"),
        selectors=selectors_json(
            first, block_id_of(first, "We will keep your information"), "five years"
        ),
    )
    whole = comment_on(team, first, "A clear sheet overall.")

    second = upload_second(team, first, django_capture_on_commit_callbacks)

    placements = {p.comment_id: p for p in CommentPlacement.objects.filter(version=second)}
    # None dropped: every open thread of version 1 has a row in version 2.
    assert set(placements) == {on_passage.pk, on_paragraph.pk, on_deleted.pk, whole.pk}

    moved = placements[on_passage.pk]
    assert moved.block_id == block_id_of(second, "We want to find out") == "b3"
    assert moved.method != "unplaced"
    quote = next(s for s in moved.selectors if s["type"] == "TextQuoteSelector")
    assert "twelve weeks" in quote["exact"]
    assert placements[on_paragraph.pk].block_id == block_id_of(second, "You do not have")
    assert placements[on_deleted.pk].method == "unplaced"
    assert placements[on_deleted.pk].block_id == ""

    content = client_for(team.partner).get(page_url(second)).content.decode()
    shown = article(content, on_passage)
    assert 'data-thread-block="b3"' in shown
    assert "From version 1" in shown
    assert "twelve weeks" in shown
    assert "Twelve weeks is a long time." in shown
    assert 'data-thread-block="b4"' in article(content, on_paragraph)

    assert "From earlier versions" in content
    lost = article(content, on_deleted)
    assert "It was about:" in lost
    assert "five years" in lost
    assert "From version 1" in lost
    # The unplaced thread is listed after the earlier-versions heading, after placed ones.
    heading = content.index("From earlier versions")
    assert content.index(f'id="thread-{on_deleted.pk}"') > heading
    assert content.index(f'id="thread-{on_passage.pk}"') < heading
    assert "A clear sheet overall." in content


def test_a_thread_moves_on_from_its_newest_placement(
    team: StudyTeam, first: Version, django_capture_on_commit_callbacks: Any
) -> None:
    block = block_id_of(first, "We want to find out")
    thread = comment_on(
        team, first, "About the length.", block=block, selectors=selectors_json(first, block, QUOTE)
    )
    second = upload_second(team, first, django_capture_on_commit_callbacks)
    third = upload_second(
        team, second, django_capture_on_commit_callbacks, paragraphs=["# Walking", *V2[2:]]
    )
    placement = CommentPlacement.objects.get(comment=thread, version=third)
    assert placement.block_id == block_id_of(third, "We want to find out") == "b2"
    assert placement.method != "unplaced"


def test_withdrawn_and_confirmed_threads_are_not_carried_forward(
    team: StudyTeam, first: Version, django_capture_on_commit_callbacks: Any
) -> None:
    withdrawn = comment_on(team, first, "Never mind.")
    confirmed = comment_on(team, first, "Thanks, all sorted.")
    answered = comment_on(team, first, "Answered but not confirmed.")
    Comment.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())
    Comment.objects.filter(pk=confirmed.pk).update(state=ThreadState.CONFIRMED)
    Comment.objects.filter(pk=answered.pk).update(state=ThreadState.ANSWERED)
    second = upload_second(team, first, django_capture_on_commit_callbacks)
    assert set(
        CommentPlacement.objects.filter(version=second).values_list("comment", flat=True)
    ) == {answered.pk}


def test_replies_are_not_placed_on_their_own(
    team: StudyTeam, first: Version, django_capture_on_commit_callbacks: Any
) -> None:
    thread = comment_on(team, first, "A question.")
    client_for(team.researcher).post(
        reverse("comment_reply", args=[team.study.pk, thread.pk]), {"body": "An answer."}
    )
    second = upload_second(team, first, django_capture_on_commit_callbacks)
    assert list(
        CommentPlacement.objects.filter(version=second).values_list("comment", flat=True)
    ) == [thread.pk]
    content = client_for(team.partner).get(page_url(second)).content.decode()
    assert "An answer." in article(content, thread)


def test_placing_again_adds_nothing(
    team: StudyTeam, first: Version, django_capture_on_commit_callbacks: Any
) -> None:
    comment_on(team, first, "Once only.")
    second = upload_second(team, first, django_capture_on_commit_callbacks)
    assert CommentPlacement.objects.filter(version=second).count() == 1
    threads_reanchor(version=second)
    assert CommentPlacement.objects.filter(version=second).count() == 1


def test_a_team_only_thread_carried_forward_stays_hidden_from_other_partners(
    team: StudyTeam, first: Version, django_capture_on_commit_callbacks: Any
) -> None:
    private = comment_on(team, first, "Private, carried forward.", visibility="team")
    other = MembershipFactory(study=team.study).user
    second = upload_second(team, first, django_capture_on_commit_callbacks)
    assert CommentPlacement.objects.filter(version=second, comment=private).exists()
    assert "Private, carried forward." not in (
        client_for(other).get(page_url(second)).content.decode()
    )
    assert "Private, carried forward." in (
        client_for(team.researcher).get(page_url(second)).content.decode()
    )
