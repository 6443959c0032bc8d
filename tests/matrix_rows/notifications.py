"""Permission-matrix rows for What's new, reminders of review rounds and unsubscribing.

The notification in the URL is the partner's own: anyone else gets 404. The unsubscribe link
is its own key (it is followed from an email, often without logging in), so every visitor
gets the page; the round calendar is a file.
"""

from typing import Any

from anymail import urls as anymail_urls

from tests.matrix_rows import LOGIN, Go

ROWS: dict[str, dict[str, tuple[Any, Any, Any, Any, Any]]] = {
    "whats_new": {
        "GET": (LOGIN, 200, 200, 200, 200),
        "POST": (LOGIN, 405, 405, 405, 405),
    },
    "whats_new_read_all": {
        "GET": (LOGIN, 405, 405, 405, 405),
        "POST": (LOGIN, Go("whats_new"), Go("whats_new"), Go("whats_new"), Go("whats_new")),
    },
    "notification_follow": {
        "GET": (LOGIN, 404, Go("version_detail"), 404, 404),
        "POST": (LOGIN, 405, 405, 405, 405),
    },
    "unsubscribe": {
        "GET": (200, 200, 200, 200, 200),
        "POST": (200, 200, 200, 200, 200),
    },
    # Progress and reminders of a round: the coordinator's.
    "round_detail": {
        "GET": (LOGIN, 404, 403, 403, 200),
        "POST": (LOGIN, 404, 403, 403, 405),
    },
    "round_remind": {
        "GET": (LOGIN, 404, 403, 403, Go("round_detail")),
        "POST": (LOGIN, 404, 403, 403, Go("round_detail")),
    },
    "round_calendar": {
        "GET": (LOGIN, 404, 200, 200, 200),
        "POST": (LOGIN, 404, 405, 405, 405),
    },
}
# Replies by email from a provider's inbound webhook: each provider's address answers only
# when INBOUND_PROVIDER names it, which the matrix leaves empty (the webhook's own checks are
# in tests/notifications/test_reply_webhook.py).
ROWS.update(
    {
        pattern.name: {"GET": (404, 404, 404, 404, 404), "POST": (404, 404, 404, 404, 404)}
        for pattern in anymail_urls.urlpatterns
        if (getattr(pattern, "name", None) or "").endswith("_inbound_webhook")
    }
)
OWNER_ONLY: dict[str, str] = {}
NOT_PAGES: set[str] = {"round_calendar"}
