"""Reads about a person's account: what the account and security page shows."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession

from portal.accounts.models import Profile, User


@dataclass(frozen=True)
class AccountSecurity:
    emails: list[EmailAddress]
    has_two_factor: bool
    may_remove_two_factor: bool
    recovery_codes_left: int | None  # None: no recovery codes set up
    session_count: int


def account_security(user: User) -> AccountSecurity:
    """The person's email addresses, two-factor state and signed-in sessions."""
    emails = list(EmailAddress.objects.filter(user=user).order_by("-primary", "email"))
    authenticators = {a.type: a for a in Authenticator.objects.filter(user=user)}
    totp = authenticators.get(Authenticator.Type.TOTP)
    codes = authenticators.get(Authenticator.Type.RECOVERY_CODES)
    return AccountSecurity(
        emails=emails,
        has_two_factor=totp is not None,
        may_remove_two_factor=totp is not None and get_mfa_adapter().can_delete_authenticator(totp),
        recovery_codes_left=(len(codes.wrap().get_unused_codes()) if codes is not None else None),
        session_count=UserSession.objects.filter(user=user).count(),
    )


def welcome_due(user: User) -> bool:
    """Whether the person has yet to see the first-visit questions."""
    return not Profile.objects.filter(user=user, welcomed_at__isnull=False).exists()
