"""Commenting on a version: targets, refusals that keep the draft, replies, edits, visibility."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.models import (
    AssignmentState,
    Comment,
    CommentDraft,
    CommentEdit,
    ReviewRound,
    Version,
    Visibility,
)
from documents.services.comments import NEW_COMMENT_KEY, reply_key
from portal.accounts.models import User
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import (
    block_id_of,
    open_round,
    ready_version,
    selectors_for,
    selectors_json,
    thread,
)
from tests.factories import MembershipFactory

PARAGRAPHS = [
    "# Walking Back to Health",
    "We want to find out whether a short walking programme helps. "
    "The study will last 12 weeks and you can stop at any time.",
    "You do not have to take part. Your care will not be affected.",
]


@pytest.fixture
def version(team: StudyTeam) -> Version:
    return ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)


@pytest.fixture
def review_round(team: StudyTeam, version: Version) -> ReviewRound:
    return open_round(version, by=team.coordinator, partners=[team.partner])


def page_url(version: Version) -> str:
    return reverse(
        "version_detail", args=[version.document.study_id, version.document_id, version.number]
    )


def create_url(version: Version) -> str:
    return reverse(
        "comment_create", args=[version.document.study_id, version.document_id, version.number]
    )


def draft_url(version: Version) -> str:
    return reverse(
        "comment_draft", args=[version.document.study_id, version.document_id, version.number]
    )


def comment_url(name: str, comment: Comment) -> str:
    return reverse(name, args=[comment.version.document.study_id, comment.pk])


def send_comment(user: User, version: Version, body: str, **fields: str) -> Any:
    return client_for(user).post(create_url(version), {"body": body, **fields}, follow=True)


def another_partner(team: StudyTeam) -> User:
    return MembershipFactory(study=team.study).user


# --- where a comment points ------------------------------------------------------------


@pytest.mark.usefixtures("review_round")
def test_a_partner_comments_on_the_whole_document(team: StudyTeam, version: Version) -> None:
    response = send_comment(team.partner, version, "Clear and friendly overall.")
    comment = Comment.objects.get()
    assert (comment.block_id, comment.selectors, comment.quote) == ("", [], "")
    assert comment.author == team.partner
    assert comment.round is not None
    assert response.redirect_chain[-1][0].endswith(f"#thread-{comment.pk}")
    content = response.content.decode()
    assert "Your comment has been added." in content
    assert "Clear and friendly overall." in content
    assert "On the whole document" in content


@pytest.mark.usefixtures("review_round")
def test_a_partner_comments_on_one_paragraph(team: StudyTeam, version: Version) -> None:
    block = block_id_of(version, "You do not have to take part")
    response = send_comment(team.partner, version, "Say this first.", block=block)
    comment = Comment.objects.get()
    assert comment.block_id == block
    assert comment.selectors == []
    assert comment.quote == ""
    assert f'data-thread-block="{block}"' in response.content.decode()
    # The paragraph is named by its first words, and the link goes to it.
    assert (
        f'<a href="#{block}">On the paragraph:</a> <q>You do not have to take part'
        in response.content.decode()
    )


def test_a_partner_comments_on_a_passage_as_the_browser_sends_it(
    team: StudyTeam, version: Version, review_round: ReviewRound
) -> None:
    block = block_id_of(version, "We want to find out")
    exact = "The study will last 12 weeks"
    response = send_comment(
        team.partner,
        version,
        "Is that 12 weeks of walking?",
        block=block,
        selectors=selectors_json(version, block, exact),
        quote=exact,
    )
    comment = Comment.objects.get()
    assert comment.block_id == block
    assert comment.quote == exact
    quote, position = comment.selectors
    assert quote["type"] == "TextQuoteSelector"
    assert quote["exact"] == exact
    assert quote["prefix"].endswith("programme helps. ")
    assert quote["suffix"].startswith(" and you can stop")
    assert position["type"] == "TextPositionSelector"
    text = next(b["text"] for b in version.blocks if b["id"] == block)
    assert text[position["start"] : position["end"]] == exact
    content = response.content.decode()
    assert "On the passage:" in content
    assert f"<q>{exact}</q>" in content
    # The first comment moves the partner's review on to "in progress".
    assignment = review_round.assignments.get(partner=team.partner)
    assert assignment.state == AssignmentState.IN_PROGRESS
    assert assignment.started_at is not None


@pytest.mark.usefixtures("review_round")
def test_a_passage_that_is_not_in_the_paragraph_is_refused_and_the_draft_kept(
    team: StudyTeam, version: Version
) -> None:
    elsewhere = block_id_of(version, "You do not have to take part")
    block = block_id_of(version, "We want to find out")
    selectors = selectors_for(version, elsewhere, "Your care will not be affected")
    response = send_comment(
        team.partner,
        version,
        "My careful words about care.",
        block=block,
        selectors=json.dumps(selectors),
        quote="Your care will not be affected",
    )
    assert not Comment.objects.exists()
    content = response.content.decode()
    assert "That passage is not in this paragraph." in content
    draft = CommentDraft.objects.get(author=team.partner, key=NEW_COMMENT_KEY)
    assert draft.body == "My careful words about care."
    assert draft.block_id == block
    # The page the partner lands on puts the words back in the box.
    assert "My careful words about care.</textarea>" in content


@pytest.mark.usefixtures("review_round")
def test_selectors_that_are_not_json_are_refused_with_a_message(
    team: StudyTeam, version: Version
) -> None:
    response = send_comment(team.partner, version, "Something.", block="b2", selectors="{not json")
    assert response.status_code == 200
    assert not Comment.objects.exists()
    assert "The quoted passage is not valid." in response.content.decode()
    assert CommentDraft.objects.filter(author=team.partner, body="Something.").exists()


@pytest.mark.usefixtures("review_round")
def test_a_paragraph_that_is_not_in_the_version_is_refused(
    team: StudyTeam, version: Version
) -> None:
    response = send_comment(team.partner, version, "Here.", block="b99")
    assert not Comment.objects.exists()
    assert "That paragraph is not in this version of the document." in response.content.decode()


# --- who may comment, and when -----------------------------------------------------------


@pytest.mark.usefixtures("review_round")
def test_a_partner_without_an_assignment_cannot_comment_but_keeps_the_draft(
    team: StudyTeam, version: Version
) -> None:
    outsider_partner = another_partner(team)
    response = send_comment(outsider_partner, version, "May I say something?")
    assert not Comment.objects.exists()
    assert "This version is not open for your comments." in response.content.decode()
    assert CommentDraft.objects.get(author=outsider_partner).body == "May I say something?"
    # Without an assignment the page offers no form, only the kept words.
    page = client_for(outsider_partner).get(page_url(version)).content.decode()
    assert "not open for your comments at the moment" in page
    assert "May I say something?" in page


def test_after_the_deadline_a_partner_is_refused_with_the_closing_date_and_keeps_the_draft(
    team: StudyTeam, version: Version, review_round: ReviewRound
) -> None:
    now = timezone.now()
    ReviewRound.objects.filter(pk=review_round.pk).update(
        opens_at=now - dt.timedelta(days=10), deadline=now - dt.timedelta(hours=1)
    )
    response = send_comment(team.partner, version, "Sorry I am late.")
    assert not Comment.objects.exists()
    content = response.content.decode()
    assert "This review closed on" in content
    assert "Your draft is kept: ask the coordinator to extend the deadline." in content
    assert CommentDraft.objects.get(author=team.partner).body == "Sorry I am late."


def test_before_the_round_opens_a_partner_is_told_when(
    team: StudyTeam, version: Version, review_round: ReviewRound
) -> None:
    now = timezone.now()
    ReviewRound.objects.filter(pk=review_round.pk).update(
        opens_at=now + dt.timedelta(days=1), deadline=now + dt.timedelta(days=5)
    )
    response = send_comment(team.partner, version, "Early bird.")
    assert not Comment.objects.exists()
    assert "This review opens on" in response.content.decode()


@pytest.mark.parametrize("role", ["researcher", "coordinator"])
def test_team_members_can_always_comment(team: StudyTeam, version: Version, role: str) -> None:
    # No round at all, and then a round that has closed.
    send_comment(getattr(team, role), version, "A note for colleagues.")
    review_round = open_round(version, by=team.coordinator)
    now = timezone.now()
    ReviewRound.objects.filter(pk=review_round.pk).update(
        opens_at=now - dt.timedelta(days=10), deadline=now - dt.timedelta(hours=1)
    )
    send_comment(getattr(team, role), version, "Another note after the deadline.")
    assert list(Comment.objects.values_list("body", flat=True)) == [
        "A note for colleagues.",
        "Another note after the deadline.",
    ]


@pytest.mark.usefixtures("review_round")
def test_an_empty_comment_is_refused(team: StudyTeam, version: Version) -> None:
    response = send_comment(team.partner, version, "   ")
    assert not Comment.objects.exists()
    assert "Write your comment before sending it." in response.content.decode()


# --- replies, edits and withdrawing ------------------------------------------------------


def test_anyone_in_the_study_replies_to_a_thread(
    team: StudyTeam, version: Version, review_round: ReviewRound
) -> None:
    first = thread(version, team.partner, "Is the walking guided?", review_round=review_round)
    response = client_for(team.researcher).post(
        comment_url("comment_reply", first),
        {"body": "Yes, by a physiotherapist.", "next": page_url(version)},
        follow=True,
    )
    reply = Comment.objects.get(parent=first)
    assert reply.author == team.researcher
    assert reply.body == "Yes, by a physiotherapist."
    assert response.redirect_chain[-1][0].endswith(f"#thread-{first.pk}")
    page = client_for(team.partner).get(page_url(version)).content.decode()
    assert "Yes, by a physiotherapist." in page
    assert f'id="comment-{reply.pk}"' in page


# A box full to its 10,000 characters, as the browser sends it: each of its 100 line breaks
# counted once by the box and sent as two characters.
FULL_BOX = "\r\n".join(["x" * 99] * 100) + "y"


def test_a_full_box_with_line_breaks_is_taken_whole(
    team: StudyTeam, version: Version, review_round: ReviewRound
) -> None:
    typed = FULL_BOX.replace("\r\n", "\n")
    assert len(typed) == 10_000
    assert len(FULL_BOX) > 10_000
    response = send_comment(team.partner, version, FULL_BOX)
    assert "Your comment has been added." in response.content.decode()
    comment = Comment.objects.get(parent__isnull=True)
    assert comment.body == typed
    answered = client_for(team.researcher).post(
        comment_url("comment_reply", comment),
        {"body": FULL_BOX, "next": page_url(version)},
        follow=True,
    )
    assert "Your reply has been added." in answered.content.decode()
    assert Comment.objects.get(parent=comment).body == typed


def test_a_reply_that_fails_keeps_its_draft(team: StudyTeam, version: Version) -> None:
    first = thread(version, team.partner, "A question.")
    Comment.objects.filter(pk=first.pk).update(withdrawn_at=timezone.now())
    response = client_for(team.researcher).post(
        comment_url("comment_reply", first), {"body": "An answer."}, follow=True
    )
    assert not Comment.objects.filter(parent=first).exists()
    assert "This comment was withdrawn, so it cannot be answered." in response.content.decode()
    draft = CommentDraft.objects.get(author=team.researcher)
    assert (draft.key, draft.body) == (reply_key(first.pk), "An answer.")


def test_an_edit_keeps_the_earlier_wording(team: StudyTeam, version: Version) -> None:
    comment = thread(version, team.partner, "Teh wording is unclear.")
    client = client_for(team.partner)
    form = client.get(comment_url("comment_edit", comment))
    assert "Teh wording is unclear." in form.content.decode()
    response = client.post(
        comment_url("comment_edit", comment), {"body": "The wording is unclear."}, follow=True
    )
    comment.refresh_from_db()
    assert comment.body == "The wording is unclear."
    assert comment.edited_at is not None
    assert list(CommentEdit.objects.values_list("previous_body", flat=True)) == [
        "Teh wording is unclear."
    ]
    content = response.content.decode()
    assert "Your comment has been changed." in content
    assert "Edited" in content


def test_an_empty_edit_is_refused_and_nothing_changes(team: StudyTeam, version: Version) -> None:
    comment = thread(version, team.partner, "Keep me.")
    response = client_for(team.partner).post(comment_url("comment_edit", comment), {"body": ""})
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Keep me."
    assert not CommentEdit.objects.exists()


def test_withdrawing_hides_the_words_from_everyone_else(team: StudyTeam, version: Version) -> None:
    comment = thread(version, team.partner, "I said something I regret.")
    client_for(team.researcher).post(
        comment_url("comment_reply", comment), {"body": "A reply that stays."}
    )
    client = client_for(team.partner)
    confirm = client.get(comment_url("comment_withdraw", comment)).content.decode()
    assert "Withdraw your comment?" in confirm
    client.post(comment_url("comment_withdraw", comment))
    comment.refresh_from_db()
    assert comment.withdrawn_at is not None
    for viewer in (team.researcher, team.coordinator):
        page = client_for(viewer).get(page_url(version)).content.decode()
        assert "This comment was withdrawn by its author." in page
        assert "I said something I regret." not in page
        assert "A reply that stays." in page
        # Its badge says withdrawn, not "Open" as if it waited for an answer.
        card = page[page.index(f'id="thread-{comment.pk}"') :]
        card = card[: card.index("</article>")]
        assert '<span class="badge text-bg-light border">Withdrawn</span>' in card
        assert '<span class="badge text-bg-light border">Open</span>' not in card
    # Withdrawing twice says so rather than failing.
    again = client.post(comment_url("comment_withdraw", comment), follow=True)
    assert "This comment has already been withdrawn." in again.content.decode()


def test_a_withdrawn_comment_cannot_be_edited(team: StudyTeam, version: Version) -> None:
    comment = thread(version, team.partner, "Gone.")
    Comment.objects.filter(pk=comment.pk).update(withdrawn_at=timezone.now())
    response = client_for(team.partner).post(
        comment_url("comment_edit", comment), {"body": "Back again."}
    )
    assert "A withdrawn comment cannot be edited." in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Gone."


# --- who sees what -----------------------------------------------------------------------


def test_a_team_only_comment_is_hidden_from_other_partners(
    team: StudyTeam, version: Version
) -> None:
    open_round(version, by=team.coordinator)
    other = another_partner(team)
    open_round(version, by=team.coordinator, partners=[other])
    send_comment(team.partner, version, "A private worry about my health.", visibility="team")
    comment = Comment.objects.get()
    assert comment.visibility == Visibility.TEAM

    own = client_for(team.partner).get(page_url(version)).content.decode()
    assert "A private worry about my health." in own
    assert "Team only" in own
    for viewer in (team.researcher, team.coordinator):
        assert "A private worry" in client_for(viewer).get(page_url(version)).content.decode()

    client = client_for(other)
    assert "A private worry" not in client.get(page_url(version)).content.decode()
    for name in ("comment_edit", "comment_withdraw", "comment_reopen"):
        assert client.get(comment_url(name, comment)).status_code == 404, name
    for name in ("comment_reply", "comment_confirm"):
        assert client.post(comment_url(name, comment), {"body": "x"}).status_code == 404, name
    assert not Comment.objects.filter(parent=comment).exists()


def test_an_independent_review_hides_others_comments_until_a_partner_finishes(
    team: StudyTeam, version: Version
) -> None:
    other = another_partner(team)
    review_round = open_round(version, by=team.coordinator, independent=True)
    send_comment(team.partner, version, "My own view, formed alone.")
    send_comment(team.researcher, version, "A team note.")
    theirs = Comment.objects.get(author=team.partner)

    client = client_for(other)
    before = client.get(page_url(version)).content.decode()
    assert "My own view, formed alone." not in before
    assert "A team note." not in before
    assert "independent review" in before
    assert client.get(comment_url("comment_edit", theirs)).status_code == 404

    client.post(
        reverse("round_finish", args=[team.study.pk, review_round.pk]),
        {
            "hours": 0,
            "minutes": 40,
        },
    )
    after = client.get(page_url(version)).content.decode()
    assert "My own view, formed alone." in after
    assert "A team note." in after
    # The team sees everything throughout.
    team_page = client_for(team.coordinator).get(page_url(version)).content.decode()
    assert "My own view, formed alone." in team_page


# --- drafts ------------------------------------------------------------------------------


@pytest.mark.usefixtures("review_round")
def test_the_draft_endpoint_saves_as_you_type_and_an_empty_box_removes_the_draft(
    team: StudyTeam, version: Version
) -> None:
    client = client_for(team.partner)
    block = block_id_of(version, "We want to find out")
    selectors = selectors_json(version, block, "12 weeks")
    response = client.post(
        draft_url(version),
        {
            "key": NEW_COMMENT_KEY,
            "body": "Half a thought",
            "block": block,
            "selectors": selectors,
            "quote": "12 weeks",
        },
    )
    assert response.status_code == 204
    draft = CommentDraft.objects.get(author=team.partner)
    assert (draft.body, draft.block_id, draft.quote) == ("Half a thought", block, "12 weeks")
    assert draft.selectors == json.loads(selectors)

    client.post(draft_url(version), {"key": NEW_COMMENT_KEY, "body": "Half a thought, more"})
    assert CommentDraft.objects.get(author=team.partner).body == "Half a thought, more"

    assert (
        client.post(draft_url(version), {"key": NEW_COMMENT_KEY, "body": "  "}).status_code == 204
    )
    assert not CommentDraft.objects.exists()


def test_the_draft_endpoint_refuses_a_made_up_key(team: StudyTeam, version: Version) -> None:
    response = client_for(team.partner).post(
        draft_url(version), {"key": "something-else", "body": "x"}
    )
    assert response.status_code == 400
    assert not CommentDraft.objects.exists()


@pytest.mark.usefixtures("review_round")
def test_the_version_page_puts_a_saved_draft_back_in_the_box(
    team: StudyTeam, version: Version
) -> None:
    client = client_for(team.partner)
    block = block_id_of(version, "We want to find out")
    client.post(
        draft_url(version),
        {
            "key": NEW_COMMENT_KEY,
            "body": "Where was I?",
            "block": block,
            "selectors": selectors_json(version, block, "12 weeks"),
            "quote": "12 weeks",
        },
    )
    first = thread(version, team.researcher, "Over to you.")
    client.post(draft_url(version), {"key": reply_key(first.pk), "body": "My half reply"})

    page = client.get(page_url(version)).content.decode()
    assert "Where was I?</textarea>" in page
    assert "is back in the box" in page
    assert f'name="block" value="{block}"' in page
    assert 'name="quote" value="12 weeks"' in page
    assert "My half reply</textarea>" in page


@pytest.mark.usefixtures("review_round")
def test_sending_the_comment_clears_its_draft(team: StudyTeam, version: Version) -> None:
    client = client_for(team.partner)
    client.post(draft_url(version), {"key": NEW_COMMENT_KEY, "body": "Nearly done"})
    send_comment(team.partner, version, "Done now.")
    assert not CommentDraft.objects.exists()
