"""Test settings: the real settings with fast, deterministic overrides."""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault(
    "SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-checks-0123456789"
)
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("COORDINATOR_MFA_REQUIRED", "true")

from portal.env import env_str
from portal.settings import *  # noqa: F403
from portal.settings import CELERY_BROKER_URL, REDIS_URL, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}
# Each test process counts rate-limited tries in its own memory, which is what the tests want.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
# Serve static files from the source tree, as in local development.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True


def _redis_database(url: str) -> int | None:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else None


def _rate_limit_test_redis_url() -> str:
    """A Redis database for the login rate-limit tests alone, never the cache's or the broker's.

    It is on the Redis of REDIS_URL (else of a Redis broker, else the local one): the highest
    database number from 13 down that neither of those uses. RATE_LIMIT_TEST_REDIS_URL chooses
    another outright.
    """
    broker = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
    base = REDIS_URL or broker or "redis://127.0.0.1:6379/0"
    in_use = {_redis_database(url) for url in (REDIS_URL, broker) if url}
    number = next(n for n in range(13, -1, -1) if n not in in_use)
    return urlunsplit(urlsplit(base)._replace(path=f"/{number}"))


RATE_LIMIT_TEST_REDIS_URL = env_str("RATE_LIMIT_TEST_REDIS_URL", "") or _rate_limit_test_redis_url()
