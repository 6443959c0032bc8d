"""Replies by email: what comes back to a reply address is posted in the conversation by the
same rules as a typed reply, or refused with a plain explanation; machines are never
answered; the same message twice is posted once; hostile mail is read as plain text."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from documents.models import Assignment, Comment, ReviewRound, Visibility
from documents.services.comments import comment_withdraw
from engagement.services import membership_end
from portal.notifications.inbound import inbound_receive
from portal.notifications.models import InboundMail, InboundOutcome, Kind, Notification
from portal.notifications.replies import reply_address
from tests.conftest import StudyTeam, client_for, give_totp
from tests.documents.builders import thread
from tests.factories import MembershipFactory, UserFactory
from tests.notifications.replies import (
    REPLY_DOMAIN,
    Conversation,
    a_conversation,
    quoted,
    read_back,
    reply_mail,
)


@pytest.fixture(autouse=True)
def replies_on(settings) -> None:
    settings.REPLY_DOMAIN = REPLY_DOMAIN
    settings.REPLY_MAX_AGE_DAYS = 30


@pytest.fixture
def conversation(team: StudyTeam) -> Conversation:
    return a_conversation(team)


def receive(
    message: EmailMessage, to: str, envelope_sender: str | None = "pat@example.net"
) -> InboundMail:
    before = len(mail.outbox)
    record = inbound_receive(
        message=message, envelope_sender=envelope_sender, recipients=[to], via="test"
    )
    # Explanations are queued after the commit, which a test's transaction never reaches.
    assert len(mail.outbox) == before
    return record


def replies_in(conversation: Conversation) -> list[Comment]:
    return list(conversation.thread.replies.exclude(body="Which part is too long?"))


def explanation(
    capture_on_commit, message: EmailMessage, to: str
) -> tuple[InboundMail, mail.EmailMessage | None]:
    """Receive the message and give the explanation email it caused (None if none)."""
    before = len(mail.outbox)
    with capture_on_commit(execute=True):
        record = inbound_receive(
            message=message, envelope_sender="pat@example.net", recipients=[to], via="test"
        )
    # Only the explanation is marked as an automatic answer (the conversation's notifications
    # go out too when a reply is posted).
    sent = [m for m in mail.outbox[before:] if "Auto-Submitted" in m.extra_headers]
    return record, (sent[0] if sent else None)


# --- posted --------------------------------------------------------------------------------


def test_a_reply_is_posted_in_the_thread_by_that_person_without_the_quoted_history(
    team: StudyTeam, conversation: Conversation
) -> None:
    message = reply_mail(
        to=conversation.partner_address,
        sender=team.partner.email,
        text=quoted("The second paragraph, please.\nIt repeats the first."),
    )
    record = receive(message, conversation.partner_address)
    assert record.outcome == InboundOutcome.POSTED
    (reply,) = replies_in(conversation)
    assert reply.author == team.partner
    assert reply.parent == conversation.thread
    assert reply.body == "The second paragraph, please.\nIt repeats the first."
    assert reply.visibility == conversation.thread.visibility
    assert record.comment_id == reply.pk
    assert record.person == team.partner
    assert not record.explained


def test_a_list_written_with_hyphens_is_kept(team: StudyTeam, conversation: Conversation) -> None:
    words = "Two things:\n- the title\n- the second paragraph"
    message = reply_mail(
        to=conversation.partner_address, sender=team.partner.email, text=quoted(words)
    )
    receive(message, conversation.partner_address)
    assert [r.body for r in replies_in(conversation)] == [words]


@pytest.mark.parametrize(
    "words",
    [
        "I read it again.\nThanks, that is clearer now.\nOne more thing: the title.",
        "Point one.\nBest, I think, is the second version.\nEnd.",
    ],
)
def test_a_sentence_that_starts_like_a_sign_off_is_kept(
    team: StudyTeam, conversation: Conversation, words: str
) -> None:
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email, text=words)
    receive(message, conversation.partner_address)
    assert [r.body for r in replies_in(conversation)] == [words]


def test_the_sender_address_is_matched_whatever_its_case(
    team: StudyTeam, conversation: Conversation
) -> None:
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email.upper())
    assert receive(message, conversation.partner_address).outcome == InboundOutcome.POSTED


def test_the_same_message_delivered_twice_is_posted_once(
    team: StudyTeam, conversation: Conversation
) -> None:
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email)
    first = receive(message, conversation.partner_address)
    again = receive(message, conversation.partner_address)
    assert first.pk == again.pk
    assert len(replies_in(conversation)) == 1
    assert InboundMail.objects.count() == 1


def test_a_message_id_reused_by_another_person_does_not_hide_their_reply(
    team: StudyTeam, conversation: Conversation
) -> None:
    researcher_address = reply_address(user_id=team.researcher.pk, thread_id=conversation.thread.pk)
    for sender, address in (
        (team.partner.email, conversation.partner_address),
        (team.researcher.email, researcher_address),
    ):
        message = reply_mail(to=address, sender=sender, message_id="<1@same.example>")
        assert receive(message, address).outcome == InboundOutcome.POSTED
    assert conversation.thread.replies.filter(author=team.partner).count() == 1
    assert conversation.thread.replies.filter(author=team.researcher).count() == 2


def test_the_others_in_the_conversation_hear_of_a_reply_by_email(
    team: StudyTeam, conversation: Conversation
) -> None:
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email)
    receive(message, conversation.partner_address)
    note = Notification.objects.get(kind=Kind.THREAD_REPLY, recipient=team.researcher)
    assert "The second paragraph, please." in note.text_body
    # The researcher, too, may answer by replying to the email.
    assert note.reply_thread_id == conversation.thread.pk


def test_the_team_can_reply_by_email_after_the_round_closed(
    team: StudyTeam, conversation: Conversation
) -> None:
    ReviewRound.objects.filter(pk=conversation.review_round.pk).update(
        deadline=timezone.now() - dt.timedelta(hours=1)
    )
    address = reply_address(user_id=team.researcher.pk, thread_id=conversation.thread.pk)
    message = reply_mail(to=address, sender=team.researcher.email, text="Thank you, noted.")
    assert receive(message, address).outcome == InboundOutcome.POSTED


# --- refused, and told why ----------------------------------------------------------------


def test_a_reply_from_a_strangers_address_is_not_posted_and_the_stranger_not_written_to(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks
) -> None:
    """A From line is easily made up: the portal must not become a way to mail strangers."""
    message = reply_mail(to=conversation.partner_address, sender="someone@else.example")
    record, told = explanation(
        django_capture_on_commit_callbacks, message, conversation.partner_address
    )
    assert record.outcome == InboundOutcome.WRONG_SENDER
    assert replies_in(conversation) == []
    assert told is None
    assert record.explained is False


def test_a_reply_from_another_portal_account_is_refused_and_its_owner_told(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks
) -> None:
    message = reply_mail(to=conversation.partner_address, sender=team.outsider.email.upper())
    record, told = explanation(
        django_capture_on_commit_callbacks, message, conversation.partner_address
    )
    assert record.outcome == InboundOutcome.WRONG_SENDER
    assert replies_in(conversation) == []
    assert told is not None
    assert [address.lower() for address in told.to] == [team.outsider.email.lower()]
    assert "not the one your portal account uses" in told.body
    # Their words go back only to the person's own address, never to anyone else's.
    assert "The second paragraph, please." not in told.body
    assert told.extra_headers["Auto-Submitted"] == "auto-replied"
    assert not told.reply_to


def test_a_token_made_for_another_person_is_refused(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks
) -> None:
    # The researcher's own reply address, used from the partner's account.
    address = reply_address(user_id=team.researcher.pk, thread_id=conversation.thread.pk)
    message = reply_mail(to=address, sender=team.partner.email)
    record, told = explanation(django_capture_on_commit_callbacks, message, address)
    assert record.outcome == InboundOutcome.WRONG_SENDER
    assert replies_in(conversation) == []
    assert told is not None


@pytest.mark.parametrize(
    "local",
    [
        "reply+1.1.1.aaaaaaaaaaaaaaaaaaaa",
        "reply+",
        "reply+<script>",
        "reply+zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz.1.1.aaaaaaaaaaaaaaaaaaaa",
    ],
)
def test_a_forged_token_is_refused_and_the_sender_told(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks, local: str
) -> None:
    address = f"{local}@{REPLY_DOMAIN}"
    message = reply_mail(to=address, sender=team.partner.email)
    record, told = explanation(django_capture_on_commit_callbacks, message, address)
    assert record.outcome == InboundOutcome.FORGED
    assert replies_in(conversation) == []
    assert told is not None
    assert "not one the portal gave" in told.body


def test_a_token_changed_by_one_character_is_forged(
    team: StudyTeam, conversation: Conversation
) -> None:
    local, domain = conversation.partner_address.split("@")
    changed = local[:-1] + ("a" if local[-1] != "a" else "b")
    message = reply_mail(to=f"{changed}@{domain}", sender=team.partner.email)
    assert receive(message, f"{changed}@{domain}").outcome == InboundOutcome.FORGED


def test_a_reply_to_an_old_email_is_refused_with_a_link_to_the_thread(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks
) -> None:
    old = reply_address(
        user_id=team.partner.pk,
        thread_id=conversation.thread.pk,
        now=timezone.now() - dt.timedelta(days=31),
    )
    message = reply_mail(to=old, sender=team.partner.email)
    record, told = explanation(django_capture_on_commit_callbacks, message, old)
    assert record.outcome == InboundOutcome.EXPIRED
    assert replies_in(conversation) == []
    assert "more than 30 days old" in told.body
    assert f"thread={conversation.thread.pk}" in told.body


def test_a_partner_who_left_the_study_is_refused_without_a_link(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks
) -> None:
    membership_end(membership=team.study.memberships.get(user=team.partner))
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email)
    record, told = explanation(
        django_capture_on_commit_callbacks, message, conversation.partner_address
    )
    assert record.outcome == InboundOutcome.NOT_VISIBLE
    assert replies_in(conversation) == []
    assert "can no longer see this conversation" in told.body
    assert "thread=" not in told.body


def test_a_thread_made_team_only_cannot_be_answered_by_a_partner(
    team: StudyTeam, conversation: Conversation
) -> None:
    team_thread = thread(conversation.thread.version, team.researcher, visibility=Visibility.TEAM)
    address = reply_address(user_id=team.partner.pk, thread_id=team_thread.pk)
    message = reply_mail(to=address, sender=team.partner.email)
    assert receive(message, address).outcome == InboundOutcome.NOT_VISIBLE
    assert not team_thread.replies.exists()


def test_a_thread_hidden_by_an_independent_review_cannot_be_answered(
    team: StudyTeam, conversation: Conversation
) -> None:
    other = MembershipFactory(study=team.study, role="partner").user
    ReviewRound.objects.filter(pk=conversation.review_round.pk).update(independent=True)
    Assignment.objects.create(round=conversation.review_round, partner=other)
    address = reply_address(user_id=other.pk, thread_id=conversation.thread.pk)
    message = reply_mail(to=address, sender=other.email)
    assert receive(message, address).outcome == InboundOutcome.NOT_VISIBLE


def test_a_partners_reply_after_the_round_closed_is_refused_with_a_link(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks
) -> None:
    ReviewRound.objects.filter(pk=conversation.review_round.pk).update(
        deadline=timezone.now() - dt.timedelta(hours=1)
    )
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email)
    record, told = explanation(
        django_capture_on_commit_callbacks, message, conversation.partner_address
    )
    assert record.outcome == InboundOutcome.ROUND_CLOSED
    assert replies_in(conversation) == []
    assert "closed on" in told.body
    assert "The second paragraph, please." in told.body  # their words, so nothing is lost
    assert f"thread={conversation.thread.pk}" in told.body


def test_a_reply_to_a_withdrawn_comment_is_refused(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks
) -> None:
    comment_withdraw(comment=conversation.thread, author=team.partner)
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email)
    record, told = explanation(
        django_capture_on_commit_callbacks, message, conversation.partner_address
    )
    assert record.outcome == InboundOutcome.REFUSED
    assert "withdrawn" in told.body


def test_explanations_to_one_address_are_limited(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks
) -> None:
    told = []
    for _ in range(8):
        # From another portal account: strangers are never written to at all.
        message = reply_mail(to=conversation.partner_address, sender=team.outsider.email)
        told.append(
            explanation(django_capture_on_commit_callbacks, message, conversation.partner_address)[
                1
            ]
        )
    assert sum(1 for t in told if t is not None) == 5


# --- machines are never answered ---------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "envelope_sender", "sender"),
    [
        ({"Auto-Submitted": "auto-replied"}, "pat@example.net", None),
        ({"Auto-Submitted": "auto-generated; type=vacation"}, "pat@example.net", None),
        ({"Precedence": "bulk"}, "pat@example.net", None),
        ({"Precedence": "junk"}, "pat@example.net", None),
        ({"Precedence": "list"}, "pat@example.net", None),
        ({"X-Autoreply": "yes"}, "pat@example.net", None),
        ({"X-Autorespond": "Out of office"}, "pat@example.net", None),
        ({"X-Auto-Response-Suppress": "OOF, AutoReply"}, "pat@example.net", None),
        ({}, "", None),
        ({"Return-Path": "<>"}, None, None),
        ({}, "MAILER-DAEMON@mx.example.net", None),
        ({}, "pat@example.net", "mailer-daemon@mx.example.net"),
        ({"Subject": "Automatic reply: A reply about your comment"}, "pat@example.net", None),
        ({"Subject": "Out of Office: Re: hi"}, "pat@example.net", None),
    ],
)
def test_automatic_replies_and_bounces_are_neither_posted_nor_answered(
    team: StudyTeam,
    conversation: Conversation,
    django_capture_on_commit_callbacks,
    headers: dict[str, str],
    envelope_sender: str | None,
    sender: str | None,
) -> None:
    message = reply_mail(
        to=conversation.partner_address,
        sender=sender or team.partner.email,
        text="I am out of the office until Monday.",
        headers=headers,
    )
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        record = inbound_receive(
            message=message,
            envelope_sender=envelope_sender,
            recipients=[conversation.partner_address],
            via="test",
        )
    assert record.outcome == InboundOutcome.AUTOMATIC
    assert replies_in(conversation) == []
    assert len(mail.outbox) == before


def test_auto_submitted_no_is_a_person(team: StudyTeam, conversation: Conversation) -> None:
    message = reply_mail(
        to=conversation.partner_address,
        sender=team.partner.email,
        headers={"Auto-Submitted": "no"},
    )
    assert receive(message, conversation.partner_address).outcome == InboundOutcome.POSTED


def test_a_delivery_report_is_never_answered(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks
) -> None:
    raw = (
        f"From: Mail Delivery System <postmaster@mx.example.net>\r\n"
        f"To: {conversation.partner_address}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.example.net>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n"
    ).encode()
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        record = inbound_receive(
            message=read_back(raw),
            envelope_sender="pat@example.net",
            recipients=[conversation.partner_address],
            via="test",
        )
    assert record.outcome == InboundOutcome.AUTOMATIC
    assert len(mail.outbox) == before


# --- hostile mail --------------------------------------------------------------------------


def test_an_html_only_reply_is_posted_as_plain_text_without_its_script(
    team: StudyTeam, conversation: Conversation
) -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert('head')</script></head><body>"
        "<p>I <b>agree</b> &amp; thank you.</p><script>alert(document.cookie)</script>"
        "<p onclick=\"steal()\">Second <a href='javascript:x()'>line</a>.</p>"
        "<img src=x onerror=alert(1)><!-- hidden --><iframe src='//evil'></iframe>"
        "<div class='gmail_quote'>On Mon, 7 Dec 2026 at 09:00, PPIE Portal wrote:"
        "<blockquote>Hello Pat</blockquote></div></body></html>"
    )
    message = reply_mail(
        to=conversation.partner_address, sender=team.partner.email, text=None, html=html
    )
    record = receive(message, conversation.partner_address)
    assert record.outcome == InboundOutcome.POSTED
    (reply,) = replies_in(conversation)
    assert reply.body == "I agree & thank you.\n\nSecond line."
    for markup in ("<", ">", "script", "alert", "style", "hidden", "Hello Pat"):
        assert markup not in reply.body


@pytest.mark.parametrize(
    "quoted",
    [
        # Apple Mail and Thunderbird: the answered message cited, with no "wrote:" line.
        '<blockquote type="cite"><div>Hello Pat, Sam replied to your comment.</div></blockquote>',
        # Gmail.
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, 7 Dec 2026, PPIE Portal '
        "wrote:</div><blockquote>Hello Pat, Sam replied to your comment.</blockquote></div>",
        # Outlook: a mark, then the answered message after it.
        '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> PPIE Portal'
        "</div><div>Hello Pat, Sam replied to your comment.</div>",
    ],
    ids=["cited", "gmail", "outlook"],
)
def test_an_html_only_reply_is_posted_without_the_message_it_answers(
    team: StudyTeam, conversation: Conversation, quoted: str
) -> None:
    html = f"<html><body><div>Yes, <b>please</b> do.</div>{quoted}</body></html>"
    message = reply_mail(
        to=conversation.partner_address, sender=team.partner.email, text=None, html=html
    )
    assert receive(message, conversation.partner_address).outcome == InboundOutcome.POSTED
    (reply,) = replies_in(conversation)
    assert reply.body == "Yes, please do."


def test_a_phones_line_and_outlooks_rule_are_not_posted(
    team: StudyTeam, conversation: Conversation
) -> None:
    text = (
        "That makes sense now, thank you.\n\nSent from Outlook for iOS\n"
        "________________________________\nFrom: PPIE Portal <portal@example.org>\n"
        "Sent: Monday, December 7, 2026 9:00 AM\nTo: Pat\nSubject: A reply about your "
        "comment\n\nHello Pat, Sam replied to your comment.\n"
    )
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email, text=text)
    assert receive(message, conversation.partner_address).outcome == InboundOutcome.POSTED
    (reply,) = replies_in(conversation)
    assert reply.body == "That makes sense now, thank you."


def test_the_plain_text_part_is_preferred_to_the_html(
    team: StudyTeam, conversation: Conversation
) -> None:
    message = reply_mail(
        to=conversation.partner_address,
        sender=team.partner.email,
        text="Plain words.",
        html="<p>HTML words.</p>",
    )
    receive(message, conversation.partner_address)
    assert [r.body for r in replies_in(conversation)] == ["Plain words."]


def test_an_empty_plain_text_part_gives_way_to_the_html(
    team: StudyTeam, conversation: Conversation
) -> None:
    message = reply_mail(
        to=conversation.partner_address,
        sender=team.partner.email,
        text=" \n",
        html="<div>Only in the HTML.</div>",
    )
    receive(message, conversation.partner_address)
    assert [r.body for r in replies_in(conversation)] == ["Only in the HTML."]


def test_a_reply_longer_than_a_comment_is_refused_and_its_words_sent_back_bounded(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks
) -> None:
    huge = "A very long line of text that goes on. " * 100_000  # 4 MB
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email, text=huge)
    record, told = explanation(
        django_capture_on_commit_callbacks, message, conversation.partner_address
    )
    assert record.outcome == InboundOutcome.TOO_LONG
    assert replies_in(conversation) == []
    assert "up to 10,000" in told.body
    assert len(told.body) < 12_000


def test_a_reply_of_exactly_the_longest_comment_is_posted(
    team: StudyTeam, conversation: Conversation
) -> None:
    words = ("word " * 2000)[:9_999] + "."
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email, text=words)
    assert receive(message, conversation.partner_address).outcome == InboundOutcome.POSTED
    assert len(replies_in(conversation)[0].body) == 10_000


def test_attachments_are_left_out_and_the_sender_told(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks
) -> None:
    message = reply_mail(to=conversation.partner_address, sender=team.partner.email, attachments=2)
    record, told = explanation(
        django_capture_on_commit_callbacks, message, conversation.partner_address
    )
    assert record.outcome == InboundOutcome.POSTED
    assert [r.body for r in replies_in(conversation)] == ["The second paragraph, please."]
    assert told is not None
    assert "files cannot be added by email" in told.body
    assert f"thread={conversation.thread.pk}" in told.body


def test_an_empty_reply_is_refused_and_explained(
    team: StudyTeam, conversation: Conversation, django_capture_on_commit_callbacks
) -> None:
    nothing_new = "\n\nOn Mon, 7 Dec 2026 at 09:00, PPIE Portal wrote:\n> Hello Pat,\n"
    message = reply_mail(
        to=conversation.partner_address, sender=team.partner.email, text=nothing_new
    )
    record, told = explanation(
        django_capture_on_commit_callbacks, message, conversation.partner_address
    )
    assert record.outcome == InboundOutcome.UNREADABLE
    assert "could not find any words" in told.body


def _raw_reply(conversation: Conversation, sender: str, headers: str, body: bytes) -> bytes:
    return (
        f"From: {sender}\r\nTo: {conversation.partner_address}\r\nSubject: Re: hi\r\n"
        f"Message-ID: <raw-{abs(hash(body))}@mail.example.net>\r\nMIME-Version: 1.0\r\n"
        f"{headers}\r\n\r\n"
    ).encode() + body


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        # Declared Latin-1, and it is.
        ("Content-Type: text/plain; charset=iso-8859-1", "Café très bien".encode("latin-1"),
         "Café très bien"),
        # No charset declared, sent as UTF-8.
        ("Content-Type: text/plain", "Café très bien".encode(), "Café très bien"),
        # Declared ASCII, but it is UTF-8.
        ("Content-Type: text/plain; charset=us-ascii", "Café très bien".encode(),
         "Café très bien"),
        # A charset that does not exist, with Windows-1252 bytes.
        ("Content-Type: text/plain; charset=x-unknown-42", "Café – fine".encode("cp1252"),
         "Café – fine"),
        # Declared UTF-8, but it is not.
        ("Content-Type: text/plain; charset=utf-8", b"Caf\xe9 \xff fine", "Caf"),
        # Quoted-printable with a NUL and control characters in it.
        ("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable",
         b"Fine=00 words=07 here", "Fine words here"),
        # Broken base64.
        ("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64",
         b"SGVsbG8gdGhlcmU=!!!###", "Hello there"),
    ],
)  # fmt: skip
def test_wrong_or_undeclared_charsets_are_read_without_a_crash(
    team: StudyTeam, conversation: Conversation, headers: str, body: bytes, expected: str
) -> None:
    raw = _raw_reply(conversation, team.partner.email, headers, body)
    record = receive(read_back(raw), conversation.partner_address)
    assert record.outcome == InboundOutcome.POSTED
    (reply,) = replies_in(conversation)
    assert reply.body.startswith(expected)
    assert "\x00" not in reply.body
    assert "\x07" not in reply.body


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02 not an email at all",
        b"From: \r\nTo: \r\n\r\n",
        b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\n--x--',
        b'From: =?utf-8?q?=E2=80?= <broken\r\nContent-Type: text/plain; charset="\r\n\r\nhi',
    ],
)
def test_malformed_mail_is_recorded_never_a_crash(
    team: StudyTeam, conversation: Conversation, raw: bytes
) -> None:
    record = inbound_receive(
        message=read_back(raw),
        envelope_sender="x@example.net",
        recipients=[conversation.partner_address],
        via="test",
        raw=raw,
    )
    assert record.pk is not None
    assert replies_in(conversation) == []


def test_mail_to_an_address_that_is_not_a_reply_address_is_not_posted(
    team: StudyTeam, conversation: Conversation
) -> None:
    message = reply_mail(to=f"info@{REPLY_DOMAIN}", sender=team.partner.email)
    record = receive(message, f"info@{REPLY_DOMAIN}")
    assert record.outcome == InboundOutcome.NOT_FOR_US
    assert replies_in(conversation) == []


def test_a_site_admin_reads_what_came_back_but_cannot_change_it(
    team: StudyTeam, conversation: Conversation
) -> None:
    receive(
        reply_mail(to=conversation.partner_address, sender=team.partner.email),
        conversation.partner_address,
    )
    record = InboundMail.objects.get()
    admin = UserFactory(is_staff=True, is_superuser=True)
    give_totp(admin)
    client = client_for(admin)
    listing = client.get(reverse("admin:notifications_inboundmail_changelist"))
    assert listing.status_code == 200
    assert "Posted in the conversation" in listing.content.decode()
    change = reverse("admin:notifications_inboundmail_change", args=[record.pk])
    assert client.get(change).status_code == 200
    client.post(change, {"outcome": "refused", "sender": "x@example.org"})
    record.refresh_from_db()
    assert record.outcome == InboundOutcome.POSTED
    assert client.get(reverse("admin:notifications_inboundmail_add")).status_code == 403


def test_each_message_received_is_logged_with_its_outcome_and_no_address(
    team: StudyTeam, conversation: Conversation, caplog: pytest.LogCaptureFixture
) -> None:
    message = reply_mail(
        to=conversation.partner_address, sender=team.partner.email, text="Shorter, please."
    )
    with caplog.at_level("INFO", logger="portal.notifications.inbound"):
        record = receive(message, conversation.partner_address)
        receive(message, conversation.partner_address)
    lines = [r.getMessage() for r in caplog.records if r.name == "portal.notifications.inbound"]
    assert lines[0] == f"Reply by email {record.pk} (test): posted, comment {record.comment_id}."
    assert lines[1] == f"Reply by email {record.pk} received again (test): nothing done."
    assert not any(team.partner.email in line for line in lines)
