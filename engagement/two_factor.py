"""Who must keep two-factor authentication, and the two-factor adapter that holds them to it.

Coordinators, people who may start studies and site admins see partners' personal details,
so (with ``COORDINATOR_MFA_REQUIRED``) they may not remove their authenticator app.
"""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from engagement.selectors import coordinator_exists_clause
from portal.accounts.models import User


def two_factor_required_clause() -> Q:
    """True for a person whose account must have two-factor authentication."""
    return (
        Q(can_create_studies=True)
        | Q(is_staff=True)
        | Q(is_superuser=True)
        | Q(coordinator_exists_clause())
    )


def two_factor_required(user_id: int) -> bool:
    """Whether this person must have (and keep) two-factor authentication."""
    if not settings.COORDINATOR_MFA_REQUIRED:
        return False
    return User.objects.filter(pk=user_id).filter(two_factor_required_clause()).exists()


class MFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "Coordinators and site admins see partners' personal details, so their "
            "accounts must keep two-factor authentication."
        ),
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type != Authenticator.Type.TOTP:
            return True
        return not two_factor_required(authenticator.user_id)
