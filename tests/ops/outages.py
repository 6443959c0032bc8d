"""Making the database or Redis go away in a test, as a real outage would."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import OperationalError, connection


def closed_port() -> int:
    """A loopback port nobody listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dead_redis_url() -> str:
    return f"redis://127.0.0.1:{closed_port()}/0"


def dead_redis_cache() -> dict[str, Any]:
    """CACHES for a Redis that does not answer."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": dead_redis_url(),
        }
    }


@pytest.fixture
def take_database_away(transactional_db: None) -> Iterator[Callable[[], None]]:
    """Call it, and this process can no longer reach the database until the test ends.

    PostgreSQL: the connection is closed and the next one goes to a port with no server.
    SQLite's in-memory test database is lost when its connection closes, so there opening a
    cursor fails as it does when the database file cannot be opened.
    """
    with pytest.MonkeyPatch.context() as patch:

        def away() -> None:
            if connection.vendor == "postgresql":
                connection.close()
                patch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
                patch.setitem(connection.settings_dict, "PORT", closed_port())
            else:

                def refuse(*args: Any, **kwargs: Any) -> Any:
                    raise OperationalError("unable to open database file")

                patch.setattr(connection, "cursor", refuse)

        yield away
    connection.close()
