"""/health/: every part named ok or failing, 503 when one fails, and nothing else said."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from portal.celery import app
from portal.models import Heartbeat
from portal.tasks import heartbeat
from tests.ops.outages import dead_redis_cache, dead_redis_url, take_database_away

__all__ = ["take_database_away"]

PARTS = {"database", "cache", "broker", "worker"}


def health(client: Client | None = None) -> tuple[int, dict[str, object]]:
    response = (client or Client()).get("/health/")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


@pytest.mark.django_db
def test_it_says_ok_for_every_part_when_all_work() -> None:
    heartbeat.delay()

    status, body = health()

    assert status == 200
    assert body == {"status": "ok", "checks": dict.fromkeys(PARTS, "ok")}


@pytest.mark.django_db
def test_it_needs_no_login_and_takes_only_get() -> None:
    heartbeat.delay()
    assert Client().get("/health/").status_code == 200
    assert Client().post("/health/").status_code == 405


@pytest.mark.django_db
def test_a_worker_that_has_not_beaten_lately_is_failing(settings: Any) -> None:
    settings.HEALTH_WORKER_MAX_AGE = 300
    Heartbeat.objects.create(name="worker", beat_at=timezone.now() - dt.timedelta(minutes=6))

    status, body = health()

    assert status == 503
    assert body == {
        "status": "failing",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "worker": "failing"},
    }


@pytest.mark.django_db
def test_no_heartbeat_at_all_is_a_failing_worker() -> None:
    status, body = health()
    assert status == 503
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "ok", "worker": "failing"}


@pytest.mark.django_db
def test_a_redis_broker_that_does_not_answer_is_named(settings: Any) -> None:
    heartbeat.delay()
    settings.CELERY_BROKER_URL = dead_redis_url()

    status, body = health()

    assert status == 503
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "failing", "worker": "ok"}


@pytest.mark.django_db
def test_a_file_system_broker_whose_folder_is_gone_is_named(settings: Any) -> None:
    heartbeat.delay()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": "/nonexistent/queue",
        "data_folder_out": "/nonexistent/queue",
    }

    status, body = health()

    assert status == 503
    assert body["checks"]["broker"] == "failing"


@pytest.mark.django_db
def test_a_cache_that_does_not_answer_is_named(settings: Any) -> None:
    heartbeat.delay()
    settings.CACHES = dead_redis_cache()

    status, body = health()

    assert status == 503
    assert body["checks"] == {"database": "ok", "cache": "failing", "broker": "ok", "worker": "ok"}


def test_a_database_out_of_reach_is_named(take_database_away: Callable[[], None]) -> None:
    heartbeat.delay()
    take_database_away()

    status, body = health()

    assert status == 503
    assert body["checks"]["database"] == "failing"
    assert body["checks"]["cache"] == "ok"


@pytest.mark.django_db
def test_it_gives_away_no_host_version_or_reason(settings: Any) -> None:
    settings.CELERY_BROKER_URL = dead_redis_url()
    response = Client().get("/health/")
    text = response.content.decode()
    assert "127.0.0.1" not in text
    assert "redis" not in text.lower()
    assert "version" not in text.lower()
    assert set(json.loads(text)) == {"status", "checks"}


def test_beat_asks_a_worker_for_a_heartbeat_more_often_than_health_allows(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["heartbeat"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] * 2 <= settings.HEALTH_WORKER_MAX_AGE


@pytest.mark.django_db
def test_a_load_balancer_can_probe_over_plain_http(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    heartbeat.delay()
    client = Client()
    assert client.get("/health/").status_code == 200
    assert client.get("/healthz/").status_code == 200
    assert client.get("/verify/").status_code == 301
