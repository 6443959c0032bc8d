from __future__ import annotations

from celery import shared_task
from django.core.management import call_command


@shared_task
def sessions_clear_expired() -> None:
    call_command("clearsessions")
