"""Stopping the emails a person can do without; account and invitation emails still go."""

from __future__ import annotations

from portal.accounts.models import Profile, User
from portal.notifications.models import Frequency


def unsubscribe(*, user: User) -> None:
    Profile.objects.update_or_create(user=user, defaults={"email_frequency": Frequency.ESSENTIAL})
