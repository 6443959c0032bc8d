from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """When a Celery worker last ran the periodic heartbeat task (portal.tasks).

    Kept in the database because it is the one store that the web processes and the workers
    share in every configuration, `make run` included (its cache is each process's memory).
    """

    name = models.CharField(max_length=40, primary_key=True)
    beat_at = models.DateTimeField()

    class Meta:
        db_table = "portal_heartbeat"

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
