"""Reply addresses: reply+<token>@REPLY_DOMAIN, one per person and conversation, signed.

The token holds the person's id, the conversation's id and when it was made, with an HMAC of
them under SECRET_KEY (or one of SECRET_KEY_FALLBACKS, so rotating the key does not break
the replies to emails already sent). It is not a ``django.core.signing`` value because an
address's local part is at most 64 characters and mail servers may change its case: the
token is short and uses only lower-case letters, digits and dots.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

SALT = "notifications.reply-address"
LOCAL_PREFIX = "reply+"
# 20 base32 characters: 100 bits of the HMAC.
_MAC_LENGTH = 20
_TOKEN = re.compile(r"([0-9a-z]{1,13})\.([0-9a-z]{1,13})\.([0-9a-z]{1,13})\.([a-z2-7]{20})")


@dataclass(frozen=True)
class ReplyToken:
    user_id: int
    thread_id: int
    issued_at: dt.datetime

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        age = (now or timezone.now()) - self.issued_at
        return age > dt.timedelta(days=settings.REPLY_MAX_AGE_DAYS)


def replies_enabled() -> bool:
    return bool(settings.REPLY_DOMAIN)


def _mac(value: str, secret: str) -> str:
    digest = salted_hmac(SALT, value, secret=secret, algorithm="sha256").digest()
    return base64.b32encode(digest).decode().lower()[:_MAC_LENGTH]


def reply_token(*, user_id: int, thread_id: int, now: dt.datetime | None = None) -> str:
    issued = int((now or timezone.now()).timestamp())
    value = ".".join(int_to_base36(n) for n in (user_id, thread_id, issued))
    return f"{value}.{_mac(value, settings.SECRET_KEY)}"


def reply_address(*, user_id: int, thread_id: int, now: dt.datetime | None = None) -> str:
    token = reply_token(user_id=user_id, thread_id=thread_id, now=now)
    return f"{LOCAL_PREFIX}{token}@{settings.REPLY_DOMAIN}"


def token_read(token: str) -> ReplyToken | None:
    """What the token says, or None when the portal did not make it (forged or mangled).
    An expired token is returned all the same: the caller says why it is refused."""
    match = _TOKEN.fullmatch(token.strip().lower())
    if match is None:
        return None
    value = ".".join(match.group(1, 2, 3))
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(constant_time_compare(match.group(4), _mac(value, secret)) for secret in secrets):
        return None
    user_id, thread_id, issued = (base36_to_int(part) for part in match.group(1, 2, 3))
    try:
        issued_at = dt.datetime.fromtimestamp(issued, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return ReplyToken(user_id=user_id, thread_id=thread_id, issued_at=issued_at)


def is_reply_address(address: str) -> bool:
    """Whether the address is one of ours in form (reply+…@REPLY_DOMAIN); not whether its
    token is good."""
    local, _at, domain = address.strip().strip("<>").rpartition("@")
    return (
        replies_enabled()
        and domain.lower() == settings.REPLY_DOMAIN
        and local.lower().startswith(LOCAL_PREFIX)
    )


def is_good_reply_address(address: str) -> bool:
    """A reply address whose token the portal made (it may have expired: the reply is then
    taken, and its sender told why it was not added)."""
    token = token_in([address])
    return token is not None and token_read(token) is not None


def token_in(addresses: list[str]) -> str | None:
    """The token of the first reply address among the recipients, if any."""
    for address in addresses:
        if is_reply_address(address):
            local = address.strip().strip("<>").rpartition("@")[0]
            return local[len(LOCAL_PREFIX) :]
    return None
