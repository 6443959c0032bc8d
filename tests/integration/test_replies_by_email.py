"""Replies by email over real SMTP and LMTP on loopback: the portal's receiver
(``manage.py receive_mail``) takes a reply sent with smtplib and the reply is in the thread."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from email.message import EmailMessage

import pytest
from django.core import mail
from django.db import OperationalError

from portal.notifications.models import InboundMail, InboundOutcome, Kind, Notification
from portal.notifications.receiver import receiver_controller
from tests.conftest import StudyTeam
from tests.integration.test_reminders_delivery import free_port
from tests.notifications.replies import REPLY_DOMAIN, Conversation, a_conversation, reply_mail

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver(settings, transactional_db: None) -> Iterator[Callable[..., int]]:
    """Start the portal's receiver on a free port of 127.0.0.1; returns the port."""
    settings.REPLY_DOMAIN = REPLY_DOMAIN
    controllers = []

    def start(*, lmtp: bool = False) -> int:
        port = free_port()
        controller = receiver_controller(host="127.0.0.1", port=port, lmtp=lmtp)
        controller.start()
        controllers.append(controller)
        return port

    try:
        yield start
    finally:
        for controller in controllers:
            controller.stop()


@pytest.fixture
def conversation(team: StudyTeam, receiver: Callable[..., int]) -> Conversation:
    return a_conversation(team)


def send(port: int, message: EmailMessage, to: str, mail_from: str = "pat@example.net") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(message, from_addr=mail_from, to_addrs=[to])


def partner_replies(conversation: Conversation, team: StudyTeam) -> list[str]:
    return list(
        conversation.thread.replies.filter(author=team.partner).values_list("body", flat=True)
    )


def test_a_reply_sent_over_smtp_appears_in_the_thread(
    team: StudyTeam, conversation: Conversation, receiver: Callable[..., int]
) -> None:
    port = receiver()
    message = reply_mail(
        to=conversation.partner_address,
        sender=team.partner.email,
        text="Yes: the second paragraph.\n\nOn Mon, 7 Dec 2026, PPIE Portal wrote:\n> Hello",
    )
    send(port, message, conversation.partner_address)
    assert partner_replies(conversation, team) == ["Yes: the second paragraph."]
    assert InboundMail.objects.get().outcome == InboundOutcome.POSTED
    # The researcher hears of it, by email, with their own reply address.
    note = Notification.objects.filter(kind=Kind.THREAD_REPLY, recipient=team.researcher).get()
    assert note.reply_thread_id == conversation.thread.pk


def test_the_same_message_sent_twice_over_smtp_is_posted_once(
    team: StudyTeam, conversation: Conversation, receiver: Callable[..., int]
) -> None:
    port = receiver()
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email)
    send(port, message, conversation.partner_address)
    send(port, message, conversation.partner_address)
    assert partner_replies(conversation, team) == ["The second paragraph, please."]


def test_a_reply_sent_over_lmtp_appears_in_the_thread(
    team: StudyTeam, conversation: Conversation, receiver: Callable[..., int]
) -> None:
    port = receiver(lmtp=True)
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email)
    with smtplib.LMTP("127.0.0.1", port) as client:
        refused = client.send_message(
            message, from_addr="pat@example.net", to_addrs=[conversation.partner_address]
        )
    assert refused == {}
    assert partner_replies(conversation, team) == ["The second paragraph, please."]


def test_mail_for_other_addresses_is_refused_at_the_door(
    team: StudyTeam, conversation: Conversation, receiver: Callable[..., int]
) -> None:
    port = receiver()
    message = reply_mail(to=f"info@{REPLY_DOMAIN}", sender=team.partner.email)
    for address in (f"info@{REPLY_DOMAIN}", "reply+x@elsewhere.example"):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            send(port, message, address)
        assert refused.value.recipients[address][0] == 550
    assert not InboundMail.objects.exists()


def test_a_message_larger_than_the_limit_is_refused_by_the_receiver(
    settings, team: StudyTeam, conversation: Conversation, receiver: Callable[..., int]
) -> None:
    settings.REPLY_MAX_MB = 1
    port = receiver()
    message = reply_mail(
        to=conversation.partner_address, sender=team.partner.email, text="x" * 2_000_000
    )
    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        send(port, message, conversation.partner_address)
    assert refused.value.smtp_code == 552
    assert partner_replies(conversation, team) == []


def test_a_bounce_over_smtp_is_neither_posted_nor_answered(
    team: StudyTeam, conversation: Conversation, receiver: Callable[..., int]
) -> None:
    port = receiver()
    before = len(mail.outbox)
    message = reply_mail(
        to=conversation.partner_address,
        sender=team.partner.email,
        text="Delivery has failed to these recipients.",
    )
    send(port, message, conversation.partner_address, mail_from="")
    assert partner_replies(conversation, team) == []
    assert InboundMail.objects.get().outcome == InboundOutcome.AUTOMATIC
    assert len(mail.outbox) == before


def test_a_forged_reply_address_is_refused_while_it_is_delivered(
    team: StudyTeam, conversation: Conversation, receiver: Callable[..., int]
) -> None:
    """The sending server is told at once (550) and tells its sender; the portal writes to
    nobody, whoever the From line names."""
    port = receiver()
    address = f"reply+1.2.3.abcdefghijabcdefghij@{REPLY_DOMAIN}"
    before = len(mail.outbox)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(port, reply_mail(to=address, sender=team.partner.email), address)
    ((code, words),) = refused.value.recipients.values()
    assert code == 550
    assert b"No such reply address" in words
    assert partner_replies(conversation, team) == []
    assert mail.outbox[before:] == []
    assert not InboundMail.objects.exists()


@pytest.mark.parametrize(
    ("failure", "code"), [(OperationalError("the database has gone"), 451), (KeyError("bug"), 554)]
)
def test_a_failure_is_answered_so_that_the_message_is_not_lost(
    team: StudyTeam,
    conversation: Conversation,
    receiver: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
    code: int,
) -> None:
    def broken(**kwargs: object) -> None:
        raise failure

    monkeypatch.setattr("portal.notifications.receiver.inbound_receive", broken)
    port = receiver()
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email)
    # 451: try again later (nothing is lost); 554: returned to the person, with their words.
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(port, message, conversation.partner_address)
    assert refused.value.smtp_code == code
    assert partner_replies(conversation, team) == []
