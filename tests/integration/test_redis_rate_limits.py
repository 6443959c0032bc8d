"""Rate limits (allauth's on logging in, the portal's per person) counted in a real Redis
cache as in production."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.test import override_settings

from tests.conftest import client_for, unavailable
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[str]:
    """The default cache in the test settings' own Redis database, under this test's own prefix.

    Other runs may count in the same database at the same time, so the test never empties it:
    it deletes only the keys under its prefix, before and after.
    """
    url = settings.RATE_LIMIT_TEST_REDIS_URL
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {url} does not answer: {error}")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    prefix = f"rate-limit-test-{worker}-{uuid.uuid4().hex[:12]}"
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    try:
        with override_settings(CACHES=caches):
            yield url
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def test_it_stops_password_guessing_after_five_failures(db, redis_cache):
    person = UserFactory(email="guarded@example.org")
    client = client_for(None)
    for _ in range(5):
        response = client.post(
            "/accounts/login/", {"login": person.email, "password": "wrong-guess"}
        )
        assert "not correct" in response.content.decode()

    response = client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()
    assert redis.Redis.from_url(redis_cache).dbsize() > 0


def test_a_correct_password_logs_in_while_under_the_limit(db, redis_cache):
    person = UserFactory(email="fine@example.org")
    client = client_for(None)
    client.post("/accounts/login/", {"login": person.email, "password": "wrong-guess"})

    response = client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(person.pk)


def test_downloads_are_counted_per_person_in_redis(db, redis_cache, settings):
    settings.EXPORT_RATE = "1/m"
    partner = UserFactory(email="counted@example.org")
    client = client_for(partner)

    assert client.get("/involvement/", {"download": "csv"}).status_code == 200
    refused = client.get("/involvement/", {"download": "csv"})

    assert refused.status_code == 429
    assert "Too many downloads for now" in refused.content.decode()
    assert client_for(UserFactory()).get("/involvement/", {"download": "csv"}).status_code == 200
    assert redis.Redis.from_url(redis_cache).dbsize() > 0
