"""Whether notifications still matter when their turn to be sent comes.

The base cannot read the apps' tables, so each app registers, for the kinds it raises, a
check that says whether the thing is still there and the person still involved (a round not
deleted, a membership not ended). A notification whose check fails is skipped, not sent.
Checks take a batch, so that a worker sending a hundred reads a few rows, not hundreds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal.notifications.models import Notification

# Given notifications of one kind, the reason each one no longer matters, by id.
Check = Callable[[Sequence["Notification"]], dict[int, str]]
_checks: dict[str, Check] = {}


def relevance_register(kind: str, check: Check) -> None:
    _checks[kind] = check


def not_relevant(notifications: Sequence[Notification]) -> dict[int, str]:
    """Why each notification that no longer matters does not, by id; the rest are absent."""
    by_kind: dict[str, list[Notification]] = defaultdict(list)
    for notification in notifications:
        by_kind[notification.kind].append(notification)
    reasons: dict[int, str] = {}
    for kind, group in by_kind.items():
        check = _checks.get(kind)
        if check is not None:
            reasons.update(check(group))
    return reasons
