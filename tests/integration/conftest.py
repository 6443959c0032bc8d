from __future__ import annotations

import os

import pytest
import redis
from django.db import connection

from tests.conftest import unavailable

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {url} does not answer: {error}")
    return url


@pytest.fixture
def postgres(db: None) -> None:
    if connection.vendor != "postgresql":
        unavailable(
            "needs PostgreSQL: set DATABASE_URL=postgres://... (the worker must share the database)"
        )


def database_url_for_tests() -> str:
    """The URL of the test database this process uses, for a child process to share it."""
    s = connection.settings_dict
    auth = s["USER"] or ""
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{s['NAME']}"
