"""Conversations whose notifications can be answered by email, and replies to send back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid

from django.core import mail
from django.utils import timezone

from documents.models import Comment, ReviewRound
from documents.services.comments import comment_reply
from portal.accounts.models import User
from portal.notifications.models import Kind, Notification
from portal.notifications.services import notification_deliver
from tests.conftest import StudyTeam
from tests.documents.builders import thread
from tests.notifications.helpers import a_round, a_version

REPLY_DOMAIN = "reply.example.org"


@dataclass
class Conversation:
    thread: Comment
    review_round: ReviewRound
    # The Reply-To of the email that told the partner the researcher replied.
    partner_address: str
    notice: mail.EmailMessage


def notice_to(user: User, kind: str = Kind.THREAD_REPLY) -> mail.EmailMessage:
    """Deliver the person's latest notification of the kind and give the email sent."""
    notification = Notification.objects.filter(recipient=user, kind=kind).latest("id")
    # Sent already where the transaction commits (the receiver's tests); sent now elsewhere.
    notification_deliver(notification_id=notification.pk)
    return next(
        email
        for email in reversed(mail.outbox)
        if email.to == [user.email] and email.subject == notification.subject
    )


def a_conversation(team: StudyTeam, *, deadline_days: int = 10) -> Conversation:
    """The partner commented in an open round; the researcher replied, and the partner was
    emailed about it."""
    opens = timezone.now() - dt.timedelta(days=1)
    review_round = a_round(
        a_version(team),
        [team.partner],
        opens_at=opens,
        deadline=opens + dt.timedelta(days=deadline_days),
        by=team.coordinator,
    )
    comment = thread(review_round.version, team.partner, review_round=review_round)
    comment_reply(thread=comment, author=team.researcher, body="Which part is too long?")
    notice = notice_to(team.partner)
    assert len(notice.reply_to) == 1
    return Conversation(comment, review_round, notice.reply_to[0], notice)


def reply_mail(
    *,
    to: str,
    sender: str,
    text: str | None = "The second paragraph, please.",
    html: str | None = None,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: int = 0,
) -> EmailMessage:
    """A reply as a mail program sends it, read back from its bytes as the receiver does."""
    message = EmailMessage()
    message["From"] = f"A Person <{sender}>"
    message["To"] = to
    headers = dict(headers or {})
    message["Subject"] = headers.pop("Subject", "Re: A reply about your comment")
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.net")
    for name, value in headers.items():
        message[name] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for number in range(attachments):
        message.add_attachment(
            b"%PDF-1.4 not really", maintype="application", subtype="pdf", filename=f"f{number}.pdf"
        )
    return read_back(message.as_bytes())


def read_back(raw: bytes) -> EmailMessage:
    return BytesParser(_class=EmailMessage, policy=policy.default).parsebytes(raw)


def quoted(words: str) -> str:
    """Words written above the notification, as a mail program quotes it."""
    return (
        f"{words}\n\nKind regards,\nPat\n-- \nPat Partner\nSent from my phone\n\n"
        "On Mon, 7 Dec 2026 at 09:00, PPIE Portal <noreply@portal.example.org> wrote:\n"
        "> Hello Pat,\n> Rita Researcher replied in a conversation you are part of.\n"
    )
