"""A comment or reply sent when it cannot be taken keeps its words and its way back.

The session ran out (the person must log in again), the page was left open so long that its
security token went stale, or Send was pressed twice: one comment, no error page, nothing lost.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from documents.models import Comment, CommentDraft
from documents.services.comments import NEW_COMMENT_KEY, reply_key
from portal.http import KEPT_FORM_SECONDS, KEPT_FORM_SESSION_KEY
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import open_round, ready_version, selectors_json, thread
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

WORDS = "The second visit is too far from the bus stop for me."
LOGGED_OUT_MESSAGE = (
    "You were logged out before your comment was sent. Nothing is lost: your words are back "
    "in the box. Press “Send comment” again."
)


@pytest.fixture
def place(team: StudyTeam) -> dict[str, Any]:
    version = ready_version(
        study=team.study,
        by=team.coordinator,
        paragraphs=["# Information sheet", "You can stop at any time."],
    )
    review_round = open_round(version, by=team.coordinator, partners=[team.partner])
    conversation = thread(version, team.partner, review_round=review_round)
    kwargs = {"study_id": team.study.pk, "document_id": version.document_id, "number": 1}
    return {
        "version": version,
        "thread": conversation,
        "page": reverse("version_detail", kwargs=kwargs),
        "create": reverse("comment_create", kwargs=kwargs),
        "reply": reverse("comment_reply", args=[team.study.pk, conversation.pk]),
        "confirm": reverse("comment_confirm", args=[team.study.pk, conversation.pk]),
    }


def log_in(client: Client, user: Any) -> None:
    """Log in as the login page does: the session's data is kept, its key changed."""
    client.force_login(user)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def new_comment_fields(place: dict[str, Any], body: str = WORDS) -> dict[str, str]:
    block = place["version"].blocks[1]["id"]
    return {
        "body": body,
        "block": block,
        "selectors": selectors_json(place["version"], block, "stop"),
        "quote": "stop",
        "visibility": "members",
    }


# --- the session ran out ------------------------------------------------------------------


def test_a_comment_sent_after_the_session_ran_out_comes_back_in_the_box(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    client = Client()  # the session has gone: the person is not logged in any more
    fields = new_comment_fields(place)
    response = client.post(place["create"], fields)
    assert response.status_code == 302
    login = urlsplit(response["Location"])
    assert login.path == reverse("account_login")
    assert Comment.objects.filter(body=WORDS).count() == 0
    # The login page says why they are asked to log in again.
    login_page = client.get(response["Location"]).content.decode()
    assert "You were logged out because the page was open for a long time." in login_page

    log_in(client, team.partner)
    # The login page sends the person on to "next": the address the form was sent to.
    back = client.get(place["create"])
    assert back.status_code == 302
    assert back["Location"].startswith(place["page"])
    assert back["Location"].endswith("#comment-form")
    assert f"block={fields['block']}" in back["Location"]
    assert LOGGED_OUT_MESSAGE in messages_of(back)
    draft = CommentDraft.objects.get(author=team.partner, key=NEW_COMMENT_KEY)
    assert (draft.body, draft.block_id, draft.quote) == (WORDS, fields["block"], "stop")

    page = client.get(back["Location"])
    assert WORDS in page.content.decode()
    # Sent again: one comment, and the draft is gone.
    sent = client.post(place["create"], fields)
    assert sent.status_code == 302
    assert Comment.objects.filter(body=WORDS).count() == 1
    assert not CommentDraft.objects.filter(author=team.partner, key=NEW_COMMENT_KEY).exists()


def test_team_only_stays_team_only_after_logging_in(team: StudyTeam, place: dict[str, Any]) -> None:
    client = Client()
    client.post(place["create"], {**new_comment_fields(place), "visibility": "team"})
    log_in(client, team.partner)
    back = client.get(place["create"])
    assert "visibility=team" in back["Location"]
    page = client.get(back["Location"]).content.decode()
    assert 'id="visibility_team" value="team" checked' in page
    assert 'id="visibility_members" value="members" checked' not in page


def at_thread(place: dict[str, Any]) -> str:
    """The version page opened at the conversation, whichever page of comments it is on."""
    return f"{place['page']}?thread={place['thread'].pk}#thread-{place['thread'].pk}"


def test_a_reply_sent_after_the_session_ran_out_comes_back_in_its_box(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    client = Client()
    client.post(place["reply"], {"body": WORDS, "next": place["page"]})
    log_in(client, team.partner)
    back = client.get(place["reply"])
    assert back["Location"] == at_thread(place)
    assert any("your reply was sent" in m for m in messages_of(back))
    draft = CommentDraft.objects.get(author=team.partner, key=reply_key(place["thread"].pk))
    assert draft.body == WORDS
    assert WORDS in client.get(place["page"]).content.decode()


def test_words_kept_for_a_place_the_person_may_not_reach_are_dropped(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    client = Client()
    client.post(place["create"], new_comment_fields(place))
    # Someone else logs in on the same computer: the outsider is no member of this study.
    log_in(client, team.outsider)
    assert client.get(place["create"]).status_code == 404
    assert KEPT_FORM_SESSION_KEY not in client.session
    assert not CommentDraft.objects.exists()


def test_words_kept_for_a_team_only_thread_are_dropped_for_another_partner(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    other = MembershipFactory(study=team.study, role=Role.PARTNER).user
    hidden = thread(place["version"], team.researcher, visibility="team")
    url = reverse("comment_reply", args=[team.study.pk, hidden.pk])
    client = Client()
    client.post(url, {"body": WORDS})
    log_in(client, other)
    assert client.get(url).status_code == 404
    assert KEPT_FORM_SESSION_KEY not in client.session
    assert not CommentDraft.objects.exists()


def test_old_kept_words_are_not_handed_to_whoever_logs_in_later(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    client = Client()
    client.post(place["create"], new_comment_fields(place))
    session = client.session
    session[KEPT_FORM_SESSION_KEY]["at"] = int(time.time()) - KEPT_FORM_SECONDS - 1
    session.save()
    log_in(client, team.partner)
    back = client.get(place["create"])
    assert back["Location"] == place["page"]
    assert not CommentDraft.objects.exists()


def test_kept_words_are_capped(team: StudyTeam, place: dict[str, Any]) -> None:
    client = Client()
    client.post(place["create"], {**new_comment_fields(place), "body": "x" * 50_000})
    kept = client.session[KEPT_FORM_SESSION_KEY]
    assert len(kept["fields"]["body"]) == 10_000


def test_a_button_pressed_after_the_session_ran_out_says_nothing_was_done(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    client = Client()
    client.post(place["confirm"], {"next": place["page"]})
    log_in(client, team.partner)
    back = client.get(place["confirm"])
    assert back["Location"] == at_thread(place)
    assert any("logged out, so that was not done" in m for m in messages_of(back))


def test_the_time_of_a_review_finished_after_the_session_ran_out_comes_back(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    from documents.models import AssignmentState

    finish = reverse("round_finish", args=[team.study.pk, place["thread"].round_id])
    client = Client()
    assert client.post(finish, {"hours": "2", "minutes": "15"}).status_code == 302
    log_in(client, team.partner)
    page = client.get(finish)
    html = page.content.decode()
    assert 'name="hours" value="2"' in html
    assert 'name="minutes" value="15"' in html
    assert any("what you typed is back in the form" in m for m in messages_of(page))
    assignment = place["thread"].round.assignments.get(partner=team.partner)
    assert assignment.state != AssignmentState.FINISHED  # not done until pressed again


def test_a_reopening_note_written_after_the_session_ran_out_comes_back(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    from documents.models import Comment, ThreadState

    Comment.objects.filter(pk=place["thread"].pk).update(state=ThreadState.ANSWERED)
    reopen = reverse("comment_reopen", args=[team.study.pk, place["thread"].pk])
    client = Client()
    client.post(reopen, {"note": "The answer missed my point about parking."})
    log_in(client, team.partner)
    page = client.get(reopen).content.decode()
    assert "The answer missed my point about parking." in page
    place["thread"].refresh_from_db()
    assert place["thread"].state == ThreadState.ANSWERED


# --- a GET to a POST-only address goes to the page with its form ---------------------------


@pytest.fixture
def coordinator_client(team: StudyTeam) -> Client:
    return client_for(team.coordinator)


def test_get_to_post_only_comment_urls_goes_to_the_page_with_the_form(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    client = client_for(team.partner)
    thread_anchor = at_thread(place)
    draft_url = place["create"].replace("comments/", "draft/")
    assert client.get(place["create"])["Location"] == place["page"]
    assert client.get(draft_url)["Location"] == place["page"]
    assert client.get(place["reply"])["Location"] == thread_anchor
    assert client.get(place["confirm"])["Location"] == thread_anchor
    # Nothing is said when nothing was kept: it was just a link followed or a page reloaded.
    assert messages_of(client.get(place["reply"])) == []


def test_get_to_resolve_goes_to_the_thread_for_the_team(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    url = reverse("comment_resolve", args=[team.study.pk, place["thread"].pk])
    response = client_for(team.researcher).get(url)
    assert response["Location"] == at_thread(place)
    assert client_for(team.partner).get(url).status_code == 403


def test_get_to_post_only_urls_still_checks_membership(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    outsider = client_for(team.outsider)
    for url in (place["create"], place["reply"], place["confirm"]):
        assert outsider.get(url).status_code == 404, url


def test_other_methods_on_post_only_urls_are_still_refused(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    assert client_for(team.partner).put(place["create"]).status_code == 405


def test_get_to_finish_review_shows_its_page(team: StudyTeam, place: dict[str, Any]) -> None:
    review_round = place["thread"].round
    url = reverse("round_finish", args=[team.study.pk, review_round.pk])
    assert client_for(team.partner).get(url).status_code == 200


def test_get_to_contribution_submit_goes_to_the_contribution(team: StudyTeam) -> None:
    from django.utils import timezone

    from engagement.involvement.services.contributions import contribution_save

    contribution = contribution_save(
        contribution=None,
        partner=team.partner,
        study=team.study,
        stage=team.study.stages.order_by("position").first(),
        activity_type="meeting",
        activity_date=timezone.localdate(),
        minutes=60,
        what_they_did="Steering group",
        entered_by=team.partner,
    )
    url = reverse("contribution_submit", args=[team.study.pk, contribution.pk])
    response = client_for(team.partner).get(url)
    assert response["Location"] == reverse(
        "contribution_detail", args=[team.study.pk, contribution.pk]
    )
    assert client_for(team.outsider).get(url).status_code == 404


def test_get_to_round_remind_goes_to_the_round(
    team: StudyTeam, place: dict[str, Any], coordinator_client: Client
) -> None:
    review_round = place["thread"].round
    url = reverse("round_remind", args=[team.study.pk, review_round.pk])
    assert coordinator_client.get(url)["Location"] == reverse(
        "round_detail", args=[team.study.pk, review_round.pk]
    )


# --- a stale page (its security token no longer works) --------------------------------------


def stale_client(user: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = "a" * 32  # the token the page held is no longer the one
    return client


def test_a_comment_from_a_stale_page_goes_back_to_the_box(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    client = stale_client(team.partner)
    fields = {**new_comment_fields(place), "csrfmiddlewaretoken": "b" * 32}
    response = client.post(place["create"], fields, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 302
    assert response["Location"] == place["create"]
    back = client.get(response["Location"])
    assert back["Location"].startswith(place["page"])
    assert any("open for a long time" in m for m in messages_of(back))
    assert CommentDraft.objects.get(author=team.partner, key=NEW_COMMENT_KEY).body == WORDS
    assert not Comment.objects.filter(body=WORDS).exists()


def test_a_stale_page_and_a_lapsed_session_together_lose_nothing(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    fields = {"body": WORDS, "next": place["page"], "csrfmiddlewaretoken": "b" * 32}
    response = client.post(place["reply"], fields, HTTP_ORIGIN="http://testserver")
    assert response["Location"] == place["reply"]
    to_login = client.get(place["reply"])
    assert urlsplit(to_login["Location"]).path == reverse("account_login")
    log_in(client, team.partner)
    client.get(place["reply"])
    draft = CommentDraft.objects.get(author=team.partner, key=reply_key(place["thread"].pk))
    assert draft.body == WORDS


def test_a_form_posted_from_another_site_keeps_nothing(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    client = stale_client(team.partner)
    fields = {**new_comment_fields(place), "csrfmiddlewaretoken": "b" * 32}
    response = client.post(place["create"], fields, HTTP_ORIGIN="https://elsewhere.example")
    assert response.status_code == 403
    assert b"Please try again" in response.content
    assert KEPT_FORM_SESSION_KEY not in client.session
    client.get(place["create"])
    assert not CommentDraft.objects.exists()


def test_a_stale_page_elsewhere_gets_a_plain_page(team: StudyTeam) -> None:
    client = stale_client(team.partner)
    response = client.post(
        reverse("profile"), {"csrfmiddlewaretoken": "b" * 32}, HTTP_ORIGIN="http://testserver"
    )
    assert response.status_code == 403
    content = response.content.decode()
    assert "Please try again" in content
    assert "CSRF" not in content


# --- Send pressed twice ------------------------------------------------------------------


def test_send_pressed_twice_stores_one_comment(team: StudyTeam, place: dict[str, Any]) -> None:
    client = client_for(team.partner)
    fields = new_comment_fields(place)
    first = client.post(place["create"], fields)
    second = client.post(place["create"], fields)
    assert Comment.objects.filter(body=WORDS).count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]


def test_reply_sent_twice_stores_one_reply(team: StudyTeam, place: dict[str, Any]) -> None:
    client = client_for(team.partner)
    for _ in range(2):
        response = client.post(place["reply"], {"body": WORDS, "next": place["page"]})
        assert response.status_code == 302
    assert place["thread"].replies.filter(body=WORDS).count() == 1


def test_the_same_words_sent_again_later_are_a_new_comment(
    team: StudyTeam, place: dict[str, Any]
) -> None:
    client = client_for(team.partner)
    fields = new_comment_fields(place)
    client.post(place["create"], fields)
    Comment.objects.filter(body=WORDS).update(
        created_at=Comment.objects.get(body=WORDS).created_at.replace(year=2020)
    )
    client.post(place["create"], fields)
    assert Comment.objects.filter(body=WORDS).count() == 2


def test_the_session_can_be_extended(team: StudyTeam) -> None:
    client = client_for(team.partner)
    response = client.post(reverse("session_extend"))
    assert response.status_code == 200
    assert response.json()["logged_in"] is True
    assert response.json()["seconds_left"] > 0
    assert Client().post(reverse("session_extend")).status_code == 401
