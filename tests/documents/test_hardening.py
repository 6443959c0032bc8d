"""Edges found in review: independent reviews, hostile comment input, rounds, lost comments."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.models import (
    Comment,
    CommentDraft,
    CommentPlacement,
    Response,
    ReviewRound,
    Version,
    VersionStatus,
)
from documents.services.comments import comment_create
from documents.services.responses import response_save
from documents.services.rounds import assignment_finish, round_open
from documents.services.versions import versions_fail_stuck
from portal.permissions import Role
from portal.rules import RuleBroken
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import (
    block_id_of,
    markdown_of,
    open_round,
    ready_version,
    thread,
    upload,
)
from tests.factories import MembershipFactory

PARAGRAPHS = ["# Sheet", "Taking part is voluntary.", "We will call you after six weeks."]


@pytest.fixture
def version(team: StudyTeam) -> Version:
    return ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)


def _page(client: Any, version: Version) -> str:
    url = reverse(
        "version_detail",
        kwargs={
            "study_id": version.document.study_id,
            "document_id": version.document_id,
            "number": version.number,
        },
    )
    return client.get(url).content.decode()


def test_an_independent_review_hides_others_comments_on_later_versions_too(team, version):
    other = MembershipFactory(study=team.study, role=Role.PARTNER).user
    open_round(version, by=team.coordinator, independent=True)
    thread(version, other, "Another partner's private view")
    newer = ready_version(
        study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS, document=version.document
    )
    assert CommentPlacement.objects.filter(version=newer).exists()

    page = _page(client_for(team.partner), newer)

    assert "Another partner&#x27;s private view" not in page
    assert "Another partner&#39;s private view" not in page


def test_a_finished_independent_review_takes_no_new_comments(team, version):
    review = open_round(version, by=team.coordinator, independent=True)
    assignment = review.assignments.get(partner=team.partner)
    assignment_finish(assignment=assignment, minutes_spent=30)

    with pytest.raises(RuleBroken, match="finished this independent review"):
        comment_create(
            version=version,
            author=team.partner,
            body="One more thing",
            block_id="",
            selectors=[],
            visibility="members",
            is_team=False,
        )


def test_a_review_cannot_be_finished_before_it_opens(team, version):
    now = timezone.now()
    review = round_open(
        version=version,
        partners=None,
        opens_at=now + dt.timedelta(days=2),
        deadline=now + dt.timedelta(days=9),
        instructions="",
        independent=True,
        created_by=team.coordinator,
    )
    with pytest.raises(RuleBroken, match="not opened yet"):
        assignment_finish(assignment=review.assignments.get(partner=team.partner), minutes_spent=5)


def test_an_open_round_wins_over_one_scheduled_later(team, version):
    open_round(version, by=team.coordinator)
    now = timezone.now()
    round_open(
        version=version,
        partners=None,
        opens_at=now + dt.timedelta(days=20),
        deadline=now + dt.timedelta(days=30),
        instructions="",
        independent=False,
        created_by=team.coordinator,
    )
    comment = comment_create(
        version=version,
        author=team.partner,
        body="Still open now",
        block_id="",
        selectors=[],
        visibility="members",
        is_team=False,
    )
    assert comment.round.opens_at < now


@pytest.mark.parametrize(
    "selectors",
    ["[" * 50_000, json.dumps([{"type": "TextQuoteSelector", "exact": "x" * 30_000}])],
)
def test_hostile_selectors_are_refused_with_a_message_and_the_words_kept(team, version, selectors):
    client = client_for(team.coordinator)
    url = reverse(
        "comment_create",
        kwargs={
            "study_id": team.study.pk,
            "document_id": version.document_id,
            "number": version.number,
        },
    )
    block = block_id_of(version, "Taking part")
    response = client.post(url, {"body": "Kept words", "block": block, "selectors": selectors})

    assert response.status_code == 302
    assert not Comment.objects.exists()
    draft = CommentDraft.objects.get(author=team.coordinator)
    assert draft.body == "Kept words"
    assert draft.selectors == []


def test_a_nul_character_is_dropped_from_comments_and_drafts(team, version):
    client = client_for(team.coordinator)
    kwargs = {
        "study_id": team.study.pk,
        "document_id": version.document_id,
        "number": version.number,
    }
    client.post(reverse("comment_draft", kwargs=kwargs), {"body": "a\x00b", "quote": "q\x00"})
    client.post(reverse("comment_create", kwargs=kwargs), {"body": "c\x00d"})

    assert Comment.objects.get().body == "cd"


def test_a_comment_on_an_older_version_is_placed_into_the_newer_one_at_once(team, version):
    newer = ready_version(
        study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS, document=version.document
    )
    comment = comment_create(
        version=version,
        author=team.coordinator,
        body="Late thought",
        block_id=block_id_of(version, "Taking part"),
        selectors=[],
        visibility="members",
        is_team=True,
    )
    placement = CommentPlacement.objects.get(comment=comment, version=newer)
    assert placement.block_id == block_id_of(newer, "Taking part")


def test_a_conversion_left_unfinished_is_reported_as_failed(team):
    stuck = upload(
        study=team.study,
        by=team.coordinator,
        filename="sheet.md",
        data=markdown_of(PARAGRAPHS),
        convert=False,
    )
    Version.objects.filter(pk=stuck.pk).update(uploaded_at=timezone.now() - dt.timedelta(hours=1))

    assert versions_fail_stuck() == 1
    stuck.refresh_from_db()
    assert stuck.status == VersionStatus.FAILED
    assert "took too long" in stuck.failure_reason


def test_an_answer_cannot_point_at_a_version_that_failed(team, version):
    comment = thread(version, team.partner)
    failed = upload(
        study=team.study,
        by=team.coordinator,
        filename="sheet.md",
        data=markdown_of(PARAGRAPHS),
        document=version.document,
        convert=False,
    )
    Version.objects.filter(pk=failed.pk).update(status=VersionStatus.FAILED)
    failed.refresh_from_db()
    with pytest.raises(RuleBroken, match="after the comment"):
        response_save(
            thread=comment,
            author=team.researcher,
            outcome="changed",
            body="Done",
            changed_in=failed,
            publish=True,
        )
    assert not Response.objects.exists()


def test_publishing_an_answer_again_makes_it_new(team, version):
    comment = thread(version, team.partner)
    first = response_save(
        thread=comment, author=team.researcher, outcome="changed", body="Done", publish=True
    )
    earlier = first.published_at
    again = response_save(
        thread=comment, author=team.researcher, outcome="changed", body="Done better", publish=True
    )
    assert again.published_at > earlier


def test_the_annotation_export_includes_the_teams_published_answer(team, version):
    comment = thread(version, team.partner, block_id=block_id_of(version, "Taking part"))
    response_save(
        thread=comment, author=team.researcher, outcome="changed", body="We said so", publish=True
    )
    url = reverse(
        "version_annotations",
        kwargs={
            "study_id": team.study.pk,
            "document_id": version.document_id,
            "number": version.number,
        },
    )
    data = json.loads(client_for(team.partner).get(url).content)
    thread_iri = next(item["id"] for item in data["first"]["items"] if "#" not in item["id"])
    answers = [item for item in data["first"]["items"] if item["id"] == f"{thread_iri}#answer"]
    assert answers
    assert "We said so" in answers[0]["body"][0]["value"]
    assert answers[0]["target"] == thread_iri
    assert thread_iri.endswith(f"/comments/{comment.pk}/")


def test_a_round_far_in_the_past_is_refused(team, version):
    url = reverse(
        "round_new",
        kwargs={
            "study_id": team.study.pk,
            "document_id": version.document_id,
            "number": version.number,
        },
    )
    response = client_for(team.coordinator).post(
        url,
        {
            "opens_at": "0001-01-01T00:00",
            "deadline": (timezone.localtime() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
            "partners": [team.partner.pk],
        },
    )
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert not ReviewRound.objects.exists()
