"""Sessions in the database that also know when they end.

Django keeps a session's end in its database row, where a page cannot see it without
another query. Each save also writes the moment into the session's own data, so the page
can say when its session runs out and warn before it does (static/js/session.js).
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.base_session import AbstractBaseSession

ENDS_AT_KEY = "portal_session_ends"


class SessionStore(DatabaseSessionStore):
    def create_model_instance(self, data: dict[str, Any]) -> AbstractBaseSession:
        ends = self.get_expiry_date()
        return super().create_model_instance({**data, ENDS_AT_KEY: int(ends.timestamp())})
