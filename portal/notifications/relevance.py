"""Whether a notification still matters when its turn to be sent comes.

The base cannot read the apps' tables, so each app registers, for the kinds it raises, a
check that says whether the thing is still there and the person still involved (a round not
deleted, a membership not ended). A notification whose check fails is skipped, not sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal.notifications.models import Notification

Check = Callable[["Notification"], str]
_checks: dict[str, Check] = {}


def relevance_register(kind: str, check: Check) -> None:
    """``check`` returns "" while the notification matters, or why it no longer does."""
    _checks[kind] = check


def why_not_relevant(notification: Notification) -> str:
    check = _checks.get(notification.kind)
    return check(notification) if check is not None else ""
