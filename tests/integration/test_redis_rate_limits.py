"""allauth's login rate limits, counted in a real Redis cache as in production."""

from __future__ import annotations

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings

from tests.conftest import client_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_cache(redis_url):
    url = redis_url.rsplit("/", 1)[0] + "/14"
    redis.Redis.from_url(url).flushdb()
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    with override_settings(CACHES=caches):
        yield url
        cache.clear()


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
