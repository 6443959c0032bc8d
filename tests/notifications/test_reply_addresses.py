"""Notifications about a conversation carry a signed reply address, per person and thread, and
say plainly that a reply is posted; only when replies by email are on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from documents.models import ReviewRound
from documents.reminders import round_opened_notify
from documents.services.comments import comment_reply
from documents.services.responses import response_save
from portal.notifications.models import Kind, Notification
from portal.notifications.replies import is_reply_address, reply_address, token_in, token_read
from tests.conftest import StudyTeam
from tests.documents.builders import thread
from tests.notifications.helpers import a_round_open_now
from tests.notifications.replies import REPLY_DOMAIN, a_conversation, notice_to

SAYS_REPLY = "You can reply to this email to answer in the thread"


@pytest.fixture
def replies_on(settings) -> None:
    settings.REPLY_DOMAIN = REPLY_DOMAIN


def test_a_reply_address_names_the_person_and_thread_and_fits_an_address(
    settings, replies_on: None
) -> None:
    address = reply_address(user_id=123_456_789, thread_id=987_654_321)
    local, domain = address.split("@")
    assert domain == REPLY_DOMAIN
    assert len(local) <= 64
    assert local == local.lower()
    reading = token_read(token_in([address.upper()]) or "")
    assert reading is not None
    assert (reading.user_id, reading.thread_id) == (123_456_789, 987_654_321)
    assert not reading.is_expired()


def test_a_token_is_refused_once_the_key_changes_unless_the_old_key_is_a_fallback(
    settings, replies_on: None
) -> None:
    token = token_in([reply_address(user_id=1, thread_id=2)]) or ""
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG"
    assert token_read(token) is None
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert token_read(token) is not None


def test_a_token_older_than_the_limit_is_expired(settings, replies_on: None) -> None:
    settings.REPLY_MAX_AGE_DAYS = 7
    old = reply_address(user_id=1, thread_id=2, now=timezone.now() - dt.timedelta(days=8))
    reading = token_read(token_in([old]) or "")
    assert reading is not None
    assert reading.is_expired()


def test_only_reply_addresses_of_the_reply_domain_count(settings, replies_on: None) -> None:
    assert is_reply_address(f"reply+abc@{REPLY_DOMAIN.upper()}")
    assert not is_reply_address("reply+abc@elsewhere.example")
    assert not is_reply_address(f"info@{REPLY_DOMAIN}")
    settings.REPLY_DOMAIN = ""
    assert not is_reply_address(f"reply+abc@{REPLY_DOMAIN}")


def test_with_replies_off_an_email_has_no_reply_to_and_says_nothing_of_replying(
    team: StudyTeam,
) -> None:
    review_round = a_round_open_now(team, [team.partner])
    comment = thread(review_round.version, team.partner, review_round=review_round)
    comment_reply(thread=comment, author=team.researcher, body="Which part?")
    email = notice_to(team.partner)
    assert email.reply_to == []
    assert "reply to this email" not in email.body
    assert "reply to this email" not in email.alternatives[0][0]
    assert Notification.objects.get(kind=Kind.THREAD_REPLY).reply_thread_id is None


def test_a_reply_in_a_thread_carries_the_persons_reply_address_and_says_so(
    team: StudyTeam, replies_on: None
) -> None:
    conversation = a_conversation(team)
    reading = token_read(token_in(conversation.notice.reply_to) or "")
    assert reading is not None
    assert (reading.user_id, reading.thread_id) == (team.partner.pk, conversation.thread.pk)
    assert SAYS_REPLY in conversation.notice.body
    assert SAYS_REPLY in conversation.notice.alternatives[0][0]


def _answered(team: StudyTeam, review_round: ReviewRound, *, closed: bool) -> mail.EmailMessage:
    """The partner's comment in the round is answered (after the round closed, if
    ``closed``); the email that tells them."""
    comment = thread(review_round.version, team.partner, review_round=review_round)
    if closed:
        ReviewRound.objects.filter(pk=review_round.pk).update(
            deadline=timezone.now() - dt.timedelta(minutes=1)
        )
        comment.refresh_from_db()
    response_save(
        thread=comment,
        author=team.researcher,
        outcome="changed",
        body="We shortened it.",
        reason="",
        changed_in=None,
        publish=True,
    )
    return notice_to(team.partner, Kind.COMMENT_ANSWERED)


def test_an_answer_to_a_comment_can_be_replied_to_while_the_round_is_open(
    team: StudyTeam, replies_on: None
) -> None:
    email = _answered(team, a_round_open_now(team, [team.partner]), closed=False)
    assert len(email.reply_to) == 1
    assert SAYS_REPLY in email.body


def test_a_partner_is_not_offered_replying_by_email_once_the_round_closed(
    team: StudyTeam, replies_on: None
) -> None:
    email = _answered(team, a_round_open_now(team, [team.partner]), closed=True)
    assert email.reply_to == []
    assert SAYS_REPLY not in email.body


def test_notifications_not_about_a_thread_have_no_reply_address(
    team: StudyTeam, replies_on: None
) -> None:
    round_opened_notify(review_round=a_round_open_now(team, [team.partner]))
    email = notice_to(team.partner, Kind.ROUND_OPENED)
    assert email.reply_to == []
    assert SAYS_REPLY not in email.body


def test_the_receiver_will_not_start_without_a_reply_domain(settings) -> None:
    settings.REPLY_DOMAIN = ""
    with pytest.raises(CommandError, match="Set REPLY_DOMAIN first"):
        call_command("receive_mail")
