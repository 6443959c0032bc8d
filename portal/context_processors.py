from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def site(request: HttpRequest) -> dict[str, Any]:
    return {"site_name": settings.SITE_NAME, "support_email": settings.SUPPORT_EMAIL}


def notifications(request: HttpRequest) -> dict[str, Any]:
    """How many notifications the person has not read, for the header; counted only when a
    page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    counted = getattr(user, "unread_notifications", None)
    if counted is not None:  # loaded with the person (portal.accounts.backends)
        return {"unread_count": counted}
    from portal.notifications.selectors import unread_count

    return {"unread_count": SimpleLazyObject(lambda: unread_count(user))}
