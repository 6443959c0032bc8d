"""The team's answers ("you said, we did") and the states a thread moves through."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from documents.models import Comment, Outcome, Response, ThreadState, Version
from documents.services.responses import response_save
from portal.accounts.models import User
from portal.rules import RuleBroken
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import open_round, ready_version, thread
from tests.factories import MembershipFactory


@pytest.fixture
def version(team: StudyTeam) -> Version:
    version = ready_version(
        study=team.study,
        by=team.coordinator,
        paragraphs=["# Consent", "You can stop at any time.", "We keep data for five years."],
    )
    open_round(version, by=team.coordinator)
    return version


@pytest.fixture
def comment(team: StudyTeam, version: Version) -> Comment:
    return thread(
        version, team.partner, "Five years seems long.", block_id="b3", exact="five years"
    )


def url(name: str, comment: Comment) -> str:
    return reverse(name, args=[comment.version.document.study_id, comment.pk])


def page(user: User, version: Version) -> str:
    response = client_for(user).get(
        reverse(
            "version_detail",
            args=[version.document.study_id, version.document_id, version.number],
        )
    )
    assert response.status_code == 200
    return response.content.decode()


def answer(user: User, comment: Comment, **fields: Any) -> Any:
    data = {"outcome": Outcome.CHANGED, "body": "We now say three years."}
    data.update(fields)
    return client_for(user).post(url("comment_respond", comment), data)


def set_state(comment: Comment, state: str) -> None:
    Comment.objects.filter(pk=comment.pk).update(state=state)


# --- drafts and publishing ---------------------------------------------------------------


def test_a_draft_answer_is_seen_by_the_team_only(
    team: StudyTeam, version: Version, comment: Comment
) -> None:
    response = answer(team.researcher, comment, draft="1")
    assert response.status_code == 302
    saved = Response.objects.get()
    assert saved.published_at is None
    comment.refresh_from_db()
    assert comment.state == ThreadState.OPEN

    assert "We now say three years." not in page(team.partner, version)
    team_page = page(team.coordinator, version)
    assert "We now say three years." in team_page
    assert "Team draft: partners cannot see this yet" in team_page
    # Nor does the partner find it in "you said, we did".
    ysdw = client_for(team.partner).get(
        reverse("you_said_we_did", args=[team.study.pk, version.document_id])
    )
    assert "We now say three years." not in ysdw.content.decode()


def test_publishing_shows_the_answer_to_partners_and_marks_the_thread_answered(
    team: StudyTeam, version: Version, comment: Comment
) -> None:
    answer(team.researcher, comment, draft="1")
    answer(team.coordinator, comment, publish="1", body="We now say three years, as you said.")
    saved = Response.objects.get()
    assert saved.published_at is not None
    assert saved.author == team.coordinator
    comment.refresh_from_db()
    assert comment.state == ThreadState.ANSWERED
    partner_page = page(team.partner, version)
    assert "We now say three years, as you said." in partner_page
    assert "Changed" in partner_page
    assert "Team draft" not in partner_page


def test_not_changed_needs_a_reason(team: StudyTeam, comment: Comment) -> None:
    response = answer(
        team.researcher, comment, outcome=Outcome.NOT_CHANGED, body="We kept it.", publish="1"
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "error-summary" in content
    assert "Give the reason nothing was changed." in content
    assert not Response.objects.exists()
    with pytest.raises(RuleBroken, match="Give the reason"):
        response_save(
            thread=comment,
            author=team.researcher,
            outcome=Outcome.NOT_CHANGED,
            body="We kept it.",
            publish=True,
        )

    answer(
        team.researcher,
        comment,
        outcome=Outcome.NOT_CHANGED,
        body="We kept it.",
        reason="The sponsor requires five years.",
        publish="1",
    )
    assert Response.objects.get().reason == "The sponsor requires five years."


def test_changed_in_must_be_a_version_of_the_same_document(
    team: StudyTeam, version: Version, comment: Comment
) -> None:
    other_document = ready_version(
        study=team.study, by=team.coordinator, title="Another sheet", paragraphs=["Other."]
    )
    response = answer(team.researcher, comment, changed_in=other_document.pk, publish="1")
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert not Response.objects.exists()
    with pytest.raises(RuleBroken, match="Choose a version of this document"):
        response_save(
            thread=comment,
            author=team.researcher,
            outcome=Outcome.CHANGED,
            body="Done.",
            changed_in=other_document,
            publish=True,
        )
    assert not Response.objects.exists()


def test_changed_in_names_the_later_version_with_the_change(
    team: StudyTeam, version: Version, comment: Comment
) -> None:
    later = ready_version(
        study=team.study,
        by=team.coordinator,
        document=version.document,
        paragraphs=["# Consent", "You can stop at any time.", "We keep data for three years."],
    )
    other_document = ready_version(
        study=team.study, by=team.coordinator, title="Another sheet", paragraphs=["Other."]
    )
    form = client_for(team.researcher).get(url("comment_respond", comment)).content.decode()
    assert "Version 2" in form
    assert f'value="{later.pk}"' in form
    assert f'value="{other_document.pk}"' not in form
    answer(team.researcher, comment, changed_in=later.pk, publish="1")
    assert Response.objects.get().changed_in == later
    assert "in version 2" in page(team.partner, version)


def test_answering_a_withdrawn_comment_is_refused(team: StudyTeam, comment: Comment) -> None:
    client_for(team.partner).post(url("comment_withdraw", comment))
    response = answer(team.researcher, comment, publish="1")
    assert "This comment was withdrawn, so it needs no answer." in response.content.decode()
    assert not Response.objects.exists()


# --- resolve, confirm, reopen ------------------------------------------------------------


def test_the_team_resolves_an_answered_thread(team: StudyTeam, comment: Comment) -> None:
    client = client_for(team.researcher)
    refused = client.post(url("comment_resolve", comment), follow=True)
    assert "Only an answered comment can be marked resolved." in refused.content.decode()
    comment.refresh_from_db()
    assert comment.state == ThreadState.OPEN

    answer(team.researcher, comment, publish="1")
    client.post(url("comment_resolve", comment))
    comment.refresh_from_db()
    assert comment.state == ThreadState.RESOLVED


def test_only_the_author_confirms_the_answer(team: StudyTeam, comment: Comment) -> None:
    answer(team.researcher, comment, publish="1")
    other_partner = MembershipFactory(study=team.study).user
    for someone in (other_partner, team.researcher, team.coordinator):
        assert client_for(someone).post(url("comment_confirm", comment)).status_code == 403
    comment.refresh_from_db()
    assert comment.state == ThreadState.ANSWERED

    response = client_for(team.partner).post(url("comment_confirm", comment), follow=True)
    assert "You have confirmed the team&#x27;s answer." in response.content.decode()
    comment.refresh_from_db()
    assert comment.state == ThreadState.CONFIRMED


def test_an_open_thread_has_no_answer_to_confirm(team: StudyTeam, comment: Comment) -> None:
    response = client_for(team.partner).post(url("comment_confirm", comment), follow=True)
    assert "There is no answer to confirm yet." in response.content.decode()
    comment.refresh_from_db()
    assert comment.state == ThreadState.OPEN


@pytest.mark.parametrize("state", [ThreadState.ANSWERED, ThreadState.RESOLVED])
def test_the_author_reopens_with_a_note_that_becomes_a_reply(
    team: StudyTeam, version: Version, comment: Comment, state: str
) -> None:
    answer(team.researcher, comment, publish="1")
    set_state(comment, state)
    client = client_for(team.partner)
    empty = client.post(url("comment_reopen", comment), {"note": ""})
    assert "error-summary" in empty.content.decode()
    comment.refresh_from_db()
    assert comment.state == state

    response = client.post(
        url("comment_reopen", comment), {"note": "Three years is still long."}, follow=True
    )
    assert "Your comment is open again" in response.content.decode()
    comment.refresh_from_db()
    assert comment.state == ThreadState.OPEN
    reply = Comment.objects.get(parent=comment)
    assert (reply.author, reply.body) == (team.partner, "Three years is still long.")
    assert "Three years is still long." in page(team.researcher, version)


def test_someone_else_cannot_reopen(team: StudyTeam, comment: Comment) -> None:
    answer(team.researcher, comment, publish="1")
    other_partner = MembershipFactory(study=team.study).user
    for someone in (other_partner, team.researcher, team.coordinator):
        client = client_for(someone)
        assert client.get(url("comment_reopen", comment)).status_code == 403
        assert client.post(url("comment_reopen", comment), {"note": "No."}).status_code == 403
    comment.refresh_from_db()
    assert comment.state == ThreadState.ANSWERED
    assert not Comment.objects.filter(parent=comment).exists()


def test_reopening_an_open_thread_is_refused(team: StudyTeam, comment: Comment) -> None:
    response = client_for(team.partner).post(url("comment_reopen", comment), {"note": "Hm."})
    assert "This comment is already open." in response.content.decode()
    assert not Comment.objects.filter(parent=comment).exists()


def test_the_partner_is_offered_confirm_and_reopen_once_answered(
    team: StudyTeam, version: Version, comment: Comment
) -> None:
    assert "I am happy with the answer" not in page(team.partner, version)
    answer(team.researcher, comment, publish="1")
    partner_page = page(team.partner, version)
    assert "I am happy with the answer" in partner_page
    assert url("comment_reopen", comment) in partner_page
    assert "I am happy with the answer" not in page(team.researcher, version)


def test_the_answer_page_shows_the_conversation_so_far(
    team: StudyTeam, comment: Comment, django_assert_max_num_queries: Any
) -> None:
    """A follow-up question in a reply is part of what the team is answering."""
    from documents.services.comments import comment_reply

    comment_reply(thread=comment, author=team.partner, body="And what about the parking?")
    comment_reply(thread=comment, author=team.researcher, body="We are looking into it.")
    client = client_for(team.researcher)
    with django_assert_max_num_queries(20):
        shown = client.get(url("comment_respond", comment)).content.decode()
    assert "2 replies in the conversation" in shown
    assert shown.index("And what about the parking?") < shown.index("We are looking into it.")
