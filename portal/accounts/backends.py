"""Logging in with Django's model backend, with the person's unread count fetched alongside.

The header of every page shows how many notifications the person has not read. Counting it
in the same query that loads the logged-in person costs no extra query per page.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from portal.accounts.models import User


def _unread() -> Coalesce:
    from portal.notifications.models import Kind, Notification

    counted = (
        Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .exclude(kind=Kind.DIGEST)
        .order_by()
        .values("recipient")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class _WithUnreadCount(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        user = (
            User._default_manager.annotate(unread_notifications=_unread())
            .filter(pk=user_id)
            .first()
        )
        if user is None or not self.user_can_authenticate(user):
            return None
        return user


class PortalModelBackend(_WithUnreadCount):
    """Django's model backend (email and password)."""


class PortalAllauthBackend(_WithUnreadCount, AuthenticationBackend):
    """allauth's backend, for logins that go through it."""
