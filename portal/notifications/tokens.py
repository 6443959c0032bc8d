"""Signed one-click unsubscribe links: they hold the person's id and nothing else."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "notifications.unsubscribe"
# A link in an email keeps working for half a year; older ones ask the person to log in.
MAX_AGE = 183 * 24 * 60 * 60


def unsubscribe_token(user_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(user_id))


@functools.cache
def _unsubscribe_prefix() -> str:
    return settings.SITE_URL + reverse("unsubscribe", args=["TOKEN"]).removesuffix("TOKEN/")


def unsubscribe_url(user_id: int) -> str:
    return f"{_unsubscribe_prefix()}{unsubscribe_token(user_id)}/"


def user_id_from_token(token: str) -> int | None:
    """The person the token was made for, or None when it is tampered with or too old."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None
