"""The portal's own mail receiver (``manage.py receive_mail``): SMTP or LMTP with aiosmtpd,
taking mail for reply addresses only, behind the site's mail server.

Each message is handled in a worker thread, because the database is used synchronously; the
sending server is told to try again later when the database cannot be reached, so nothing is
lost while it is down.
"""

from __future__ import annotations

import asyncio
import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from portal.notifications.inbound import inbound_receive
from portal.notifications.replies import is_good_reply_address, is_reply_address

logger = logging.getLogger(__name__)

# A reply goes to one reply address; a few more are allowed for a person who copies in others.
MAX_RECIPIENTS = 10


def receive_raw(raw: bytes, mail_from: str | None, rcpt_tos: list[str], via: str) -> None:
    """Read one message as it came over the wire and handle it."""
    close_old_connections()
    try:
        message = BytesParser(_class=EmailMessage, policy=policy.default).parsebytes(raw)
        inbound_receive(
            message=message,
            envelope_sender=(mail_from or "").strip("<>"),
            recipients=rcpt_tos,
            via=via,
            raw=raw,
        )
    finally:
        close_old_connections()


class ReplyReceiver:
    """The aiosmtpd handler: reply addresses only, each message handed to ``inbound_receive``."""

    def __init__(self, *, lmtp: bool = False) -> None:
        self.lmtp = lmtp

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if not is_reply_address(address):
            return "550 5.1.1 No such address here"
        if not is_good_reply_address(address):
            # Refused while it is delivered: the sending server tells its sender, and the
            # portal writes to nobody.
            return "550 5.1.1 No such reply address"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        recipients = list(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                None,
                receive_raw,
                raw,
                envelope.mail_from,
                recipients,
                "lmtp" if self.lmtp else "smtp",
            )
        except DatabaseError:
            logger.warning("A reply by email waits: the database cannot be reached.")
            status = "451 4.3.0 Try again later"
        except Exception:
            # A fault of ours, not of the message: the sending server returns it to the person,
            # with their words, rather than it vanishing.
            logger.exception("A reply by email could not be handled.")
            status = "554 5.6.0 The message could not be handled"
        else:
            status = "250 2.0.0 Message accepted"
        # LMTP answers once for each recipient.
        return "\r\n".join([status] * len(recipients)) if self.lmtp and recipients else status


class _LMTPController(Controller):
    def factory(self) -> LMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


def receiver_controller(*, host: str, port: int, lmtp: bool = False) -> Controller:
    """A controller that runs the receiver in a thread: ``start()`` it, ``stop()`` it."""
    cls = _LMTPController if lmtp else Controller
    return cls(
        ReplyReceiver(lmtp=lmtp),
        hostname=host,
        port=port,
        data_size_limit=settings.REPLY_MAX_MB * 1024 * 1024,
        enable_SMTPUTF8=True,
        decode_data=False,
    )
