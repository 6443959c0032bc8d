"""Receiving replies by email: each message once, checked, handed to the app that owns the
conversation, and the sender told plainly when it was not posted.

The base knows nothing of comments: the documents app registers the handler that posts a
reply (``reply_handler_register``), as it registers its relevance checks. Whatever the
message holds, receiving it never raises, except when the database cannot be reached: then
the receiver asks the sending server to try again later.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.email import email_render, email_send_later
from portal.notifications.models import InboundMail, InboundOutcome
from portal.notifications.reading import (
    address_of,
    automatic_reason,
    header,
    message_key,
    reply_words,
)
from portal.notifications.replies import token_in, token_read
from portal.rules import RuleBroken

logger = logging.getLogger(__name__)

# At most this many explanations to one address an hour: a forged sender cannot turn the
# portal into a way of mailing someone over and over.
EXPLANATIONS_PER_HOUR = 5
# What the person wrote, sent back with a refusal so that nothing is lost.
WORDS_SENT_BACK = 10_000


@dataclass(frozen=True)
class InboundReply:
    """A reply to post: from whom, in which conversation, with what words."""

    person: User
    thread_id: int
    text: str
    # Names the email, so that the same one delivered twice is posted once (Comment.source_key).
    key: str
    # The email replied to is older than REPLY_MAX_AGE_DAYS.
    expired: bool


@dataclass(frozen=True)
class PostedReply:
    comment_id: int
    link: str


class ReplyRefused(RuleBroken):
    """The conversation's rules refuse the reply; ``link`` leads to the conversation when the
    person may still see it."""

    def __init__(self, message: str, *, outcome: str = InboundOutcome.REFUSED, link: str = ""):
        super().__init__(message)
        self.outcome = outcome
        self.link = link


ReplyHandler = Callable[[InboundReply], PostedReply]
_handler: list[ReplyHandler] = []


def reply_handler_register(handler: ReplyHandler) -> None:
    _handler[:] = [handler]


def inbound_receive(
    *,
    message: EmailMessage,
    envelope_sender: str | None,
    recipients: Sequence[str],
    via: str,
    raw: bytes | None = None,
) -> InboundMail:
    """Handle one email sent to a reply address; the record of what became of it.

    ``envelope_sender`` is the SMTP MAIL FROM ("" for a bounce, None when not known).
    """
    token = token_in(list(recipients))
    key, message_id = message_key(message, raw, scope=token or "")
    sender = address_of(header(message, "From"))
    record = InboundMail(
        message_key=key,
        message_id=message_id[:255],
        via=via[:32],
        sender=sender[:254],
        outcome=InboundOutcome.REFUSED,
    )
    with transaction.atomic():
        try:
            # The first delivery holds this row until it commits; a second one of the same
            # message waits for it, then finds it and does nothing.
            with transaction.atomic():
                record.save()
        except IntegrityError:
            kept = InboundMail.objects.get(message_key=key)
            logger.info("Reply by email %s received again (%s): nothing done.", kept.pk, via)
            return kept
        _handle(record, message, envelope_sender, token, message_id)
        record.save()
    # One line a message, for whoever runs the receiver; who sent it stays in the record.
    logger.info(
        "Reply by email %s (%s): %s%s%s.",
        record.pk,
        via,
        record.outcome,
        f", comment {record.comment_id}" if record.comment_id else "",
        ", explained to the sender" if record.explained else "",
    )
    return record


def _handle(
    record: InboundMail,
    message: EmailMessage,
    envelope_sender: str | None,
    token: str | None,
    message_id: str,
) -> None:
    automatic = automatic_reason(message, envelope_sender)
    if automatic is not None:
        record.outcome, record.detail = InboundOutcome.AUTOMATIC, automatic[:300]
        return
    if token is None:
        record.outcome = InboundOutcome.NOT_FOR_US
        return
    words = reply_words(message)

    def refuse(outcome: str, reason: str, link: str = "", *, from_the_person: bool) -> None:
        record.outcome, record.detail = outcome, reason[:300]
        # Their words go back only to the person's own address: to anyone else, a forged
        # From would make the portal mail a stranger whatever text it was given.
        sent_back = words.text if from_the_person else ""
        record.explained = _explain(
            record, reason=reason, link=link, words=sent_back, about=message_id
        )

    reading = token_read(token)
    if reading is None:
        refuse(
            InboundOutcome.FORGED,
            _(
                "The address you replied to is not one the portal gave, so your reply was "
                "not added. Reply to the email the portal sent you, or log in to the portal "
                "and reply there."
            ),
            from_the_person=False,
        )
        return
    record.thread_id = reading.thread_id
    person = User.objects.filter(pk=reading.user_id, is_active=True).first()
    if person is None or person.former_number is not None:
        refuse(
            InboundOutcome.REFUSED,
            _("The portal account this reply was for is closed, so your reply was not added."),
            from_the_person=False,
        )
        return
    record.person = person
    if not _is_address_of(person, record.sender):
        refuse(
            InboundOutcome.WRONG_SENDER,
            _(
                "Your reply came from an address that is not the one your portal account "
                "uses, so it was not added. Reply from the address the email was sent to, "
                "or log in to the portal and reply there."
            ),
            from_the_person=False,
        )
        return
    if not _handler:
        logger.error("A reply by email arrived but no app handles replies.")
        record.detail = "no handler registered"
        return
    try:
        posted = _handler[0](
            InboundReply(
                person=person,
                thread_id=reading.thread_id,
                text=words.text,
                key=record.message_key,
                expired=reading.is_expired(),
            )
        )
    except ReplyRefused as refusal:
        refuse(refusal.outcome, str(refusal), refusal.link, from_the_person=True)
        return
    record.outcome, record.comment_id = InboundOutcome.POSTED, posted.comment_id
    if words.attachments:
        record.detail = f"{words.attachments} attachment(s) left out"
        record.explained = _explain(
            record,
            reason=_(
                "Your reply was added to the conversation, but what was attached to it was "
                "not: files cannot be added by email. If the study team needs a file, ask "
                "them in the conversation how to send it."
            ),
            link=posted.link,
            words="",
            about=message_id,
            posted=True,
        )


def _is_address_of(person: User, address: str) -> bool:
    if not address:
        return False
    if person.email.lower() == address:
        return True
    return bool(
        EmailAddress.objects.filter(user=person, email__iexact=address, verified=True).exists()
    )


def _has_account(address: str) -> bool:
    return (
        User.objects.filter(email__iexact=address, is_active=True).exists()
        or EmailAddress.objects.filter(
            email__iexact=address, verified=True, user__is_active=True
        ).exists()
    )


def _explain(
    record: InboundMail,
    *,
    reason: str,
    link: str,
    words: str,
    about: str,
    posted: bool = False,
) -> bool:
    """Tell the sender what became of their reply; whether the email was queued."""
    if not record.sender:
        return False
    if not _has_account(record.sender):
        # A From line is easily made up: the portal writes only to its own people, so that
        # nobody can make it mail a stranger by sending it a reply in their name.
        logger.info("Not explaining a refused reply to an address no account uses.")
        return False
    recent = InboundMail.objects.filter(
        sender=record.sender,
        explained=True,
        received_at__gte=timezone.now() - dt.timedelta(hours=1),
    ).count()
    if recent >= EXPLANATIONS_PER_HOUR:
        logger.warning("Not explaining another refused reply to the same sender this hour.")
        return False
    if len(words) > WORDS_SENT_BACK:
        words = words[:WORDS_SENT_BACK] + "\n[…]"
    email = email_render(
        template="replies/reply_result",
        to=[record.sender],
        context={
            "posted": posted,
            "reason": reason,
            "link_url": link,
            "words": words,
        },
    )
    # RFC 3834: an automatic answer says so, so that the other side's robots do not answer it.
    email.extra_headers["Auto-Submitted"] = "auto-replied"
    if about:
        email.extra_headers["In-Reply-To"] = about
        email.extra_headers["References"] = about
    email_send_later(email)
    return True
