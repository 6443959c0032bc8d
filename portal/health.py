"""What /health/ checks: the database, the cache, the Celery broker and a worker's heartbeat.

The database and cache checks are django-health-check's; the broker is pinged when it is
Redis and its folders checked when it is the file-system broker of `make run`. A worker
proves itself by running the periodic heartbeat task (every HEARTBEAT_SECONDS, scheduled by
beat), which writes the time to the database; the check fails when it is older than
HEALTH_WORKER_MAX_AGE. That also catches a stopped beat or a queue that does not move, and
costs one read by primary key, where pinging the workers would wait for their answers.

Only each part's name and "ok" or "failing" leave this module: reasons are logged, never
shown, so the page gives away no host, version or error text. The checks run one after
another in the request's thread; the broker's ping gives up after 3 seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import logging
import os
from pathlib import Path

import redis
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import HealthCheckException, ServiceUnavailable

from portal.models import Heartbeat

logger = logging.getLogger(__name__)

WORKER = "worker"
# Long enough for a slow answer on a busy machine, short enough for a load balancer's probe.
_TIMEOUT = dt.timedelta(seconds=3)


def heartbeat_record() -> None:
    """A worker says it is alive: called by the periodic heartbeat task."""
    Heartbeat.objects.update_or_create(name=WORKER, defaults={"beat_at": timezone.now()})


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker takes messages: Redis answers a ping, or the folders are writable."""

    timeout: dt.timedelta = dataclasses.field(default=_TIMEOUT, repr=False)

    def run(self) -> None:
        url = settings.CELERY_BROKER_URL
        if url.startswith(("redis://", "rediss://")):
            client = redis.Redis.from_url(
                url,
                socket_connect_timeout=self.timeout.total_seconds(),
                socket_timeout=self.timeout.total_seconds(),
            )
            try:
                client.ping()
            except redis.RedisError as error:
                raise ServiceUnavailable("The broker does not answer") from error
            finally:
                client.close()
        elif url.startswith("filesystem://"):
            options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
            for key in ("data_folder_in", "data_folder_out"):
                folder = Path(str(options[key]))
                if not (folder.is_dir() and os.access(folder, os.W_OK)):
                    raise ServiceUnavailable("The broker's folder cannot be written")
        else:
            raise ServiceUnavailable("The broker is of a kind this check does not know")


@dataclasses.dataclass
class WorkerHeartbeat(HealthCheck):
    """A worker ran the heartbeat task recently enough."""

    def run(self) -> None:
        try:
            beat_at = (
                Heartbeat.objects.filter(name=WORKER).values_list("beat_at", flat=True).first()
            )
        except DatabaseError as error:
            raise ServiceUnavailable("The heartbeat cannot be read") from error
        if beat_at is None:
            raise ServiceUnavailable("No worker has run the heartbeat task yet")
        age = timezone.now() - beat_at
        if age > dt.timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE):
            raise ServiceUnavailable(f"The last heartbeat is {int(age.total_seconds())} s old")


def _checks() -> dict[str, HealthCheck]:
    return {
        "database": Database(),
        "cache": Cache(timeout=_TIMEOUT),
        "broker": Broker(),
        "worker": WorkerHeartbeat(),
    }


def _passes(name: str, check: HealthCheck) -> bool:
    # In the request's own thread, one after another: the database is read through the
    # request's connection, never one left open in a pool thread.
    try:
        if inspect.iscoroutinefunction(check.run):
            async_to_sync(check.run)()
        else:
            check.run()
    except HealthCheckException as error:
        logger.warning("Health check %s is failing: %s", name, error)
        return False
    except Exception:
        # Whatever broke, the part is failing; the page must still answer.
        logger.exception("Health check %s is failing", name)
        return False
    return True


def health_report() -> dict[str, bool]:
    """Each part's name and whether it works."""
    return {name: _passes(name, check) for name, check in _checks().items()}
