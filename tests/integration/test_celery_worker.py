"""A real Celery worker process, a real Redis broker and the real PostgreSQL database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.test import Client

from engagement.models import Invitation
from engagement.services import invitation_create, invitation_token
from portal.celery import app as celery_app
from portal.models import Heartbeat
from portal.permissions import Role
from portal.tasks import heartbeat
from tests.integration.conftest import database_url_for_tests

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(request, postgres, redis_url, tmp_path, settings):
    """Start `celery worker` on its own queue; the test process publishes to it.

    The queue is named for this test alone (and the pytest-xdist worker running it), so tests
    running side by side on the same broker never take each other's tasks. The pool is
    "solo" unless the test asks for another (indirect parametrisation).
    """
    pool = getattr(request, "param", "solo")
    queue = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:12]}"
    mail_dir = tmp_path / "mail"
    settings.MEDIA_ROOT = str(tmp_path / "media")  # uploads the worker must read
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EMAIL_", "PYTEST_", "DJANGO_SETTINGS"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=database_url_for_tests(),
        CELERY_BROKER_URL=redis_url,
        EMAIL_FILE_PATH=str(mail_dir),
        MEDIA_ROOT=settings.MEDIA_ROOT,
        VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY=os.environ.get("SECRET_KEY", "worker-test-key-0123456789-abcdefghijklmnop"),
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS="localhost",
    )
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool",
            pool,
            "--concurrency",
            "1",
            "--queues",
            queue,
            "--loglevel",
            "info",
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    overrides = {"task_always_eager": False, "broker_url": redis_url, "task_default_queue": queue}
    saved = {key: celery_app.conf[key] for key in overrides}
    celery_app.conf.update(overrides)
    # Publish over the broker configured above, not a pool made for another one.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield mail_dir, tmp_path / "worker.log"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        celery_app.conf.update(saved)
        broker = redis.Redis.from_url(redis_url)
        # The queue and kombu's bindings for it: every key named for this test's queue.
        keys = list(broker.scan_iter(match=f"*{queue}*"))
        if keys:
            broker.delete(*keys)
        broker.close()


def _wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def test_a_worker_process_delivers_an_invitation_through_redis(team, worker):
    mail_dir, log_path = worker
    invitation = invitation_create(
        study=team.study,
        email="new.partner@example.org",
        role=Role.PARTNER,
        invited_by=team.coordinator,
    )

    def sent() -> bool:
        # The invitation is marked before the email goes, so also wait for the task to finish.
        return (
            Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=False).exists()
            and "succeeded" in log_path.read_text()
        )

    assert _wait_for(sent), "worker did not send the invitation:\n" + log_path.read_text()
    messages = list(mail_dir.glob("*.log"))
    assert len(messages) == 1
    body = messages[0].read_text()
    assert "To: new.partner@example.org" in body
    invitation.refresh_from_db()
    assert invitation_token(invitation) in body
    assert "engagement.tasks.invitation_send" in log_path.read_text()


def test_the_worker_sends_a_task_queued_twice_only_once(team, worker):
    from engagement.tasks import invitation_send

    mail_dir, log_path = worker
    invitation = invitation_create(
        study=team.study, email="twice@example.org", role=Role.PARTNER, invited_by=team.coordinator
    )
    invitation_send.delay(invitation.pk)

    def both_done() -> bool:
        return log_path.read_text().count("succeeded") >= 2

    assert _wait_for(both_done), log_path.read_text()
    assert len(list(mail_dir.glob("*.log"))) == 1


def test_a_worker_process_converts_an_uploaded_document(team, worker):
    from documents.models import Version, VersionStatus
    from documents.services.versions import document_create

    _mail_dir, log_path = worker
    data = (Path(__file__).resolve().parents[1] / "fixtures/docx/tables.docx").read_bytes()
    version = document_create(
        study=team.study,
        title="Information sheet",
        kind="information_sheet",
        stage=None,
        data=data,
        filename="sheet.docx",
        change_summary="",
        created_by=team.coordinator,
    )

    def prepared() -> bool:
        return Version.objects.filter(pk=version.pk).exclude(status="preparing").exists()

    assert _wait_for(prepared), "the worker did not convert the upload:\n" + log_path.read_text()
    version.refresh_from_db()
    assert version.status == VersionStatus.READY, version.failure_reason
    assert version.file_kind == "docx"
    assert any(block["kind"] == "td" for block in version.blocks)
    assert 'data-block="b1"' in version.html


@pytest.mark.slow
@pytest.mark.parametrize("worker", ["prefork"], indirect=True)
def test_a_worker_fails_a_document_too_large_to_show_and_carries_on(team, worker):
    """As deployed (a prefork pool), a file that would take gigabytes to convert fails with
    the true reason; the worker survives and converts the next upload."""
    from documents.conversion.errors import TOO_LARGE
    from documents.models import Version, VersionStatus
    from documents.services.versions import document_create
    from tests.documents.large_inputs import bloated_docx

    _mail_dir, log_path = worker

    def create(data: bytes, filename: str) -> Version:
        return document_create(
            study=team.study,
            title=filename,
            kind="protocol",
            stage=None,
            data=data,
            filename=filename,
            change_summary="",
            created_by=team.coordinator,
        )

    def prepared(version: Version) -> bool:
        return Version.objects.filter(pk=version.pk).exclude(status="preparing").exists()

    # Little text in millions of formatted runs: within the upload and zip limits, and
    # past the text limits' early check, so only the memory limit stops it.
    too_large = create(bloated_docx(95), "protocol.docx")
    assert _wait_for(lambda: prepared(too_large), 150), log_path.read_text()
    too_large.refresh_from_db()
    assert too_large.status == VersionStatus.FAILED
    assert too_large.failure_reason.startswith(TOO_LARGE)

    fine = create(
        (Path(__file__).resolve().parents[1] / "fixtures/docx/tables.docx").read_bytes(),
        "sheet.docx",
    )
    assert _wait_for(lambda: prepared(fine)), log_path.read_text()
    fine.refresh_from_db()
    assert fine.status == VersionStatus.READY, fine.failure_reason
    log = log_path.read_text()
    assert log.count("documents.tasks.version_convert") >= 2
    assert "WorkerLostError" not in log
    assert "daemonic processes" not in log


def test_a_worker_process_builds_a_long_involvement_log(team, worker, settings):
    import datetime as dt
    import hashlib
    import io

    import pypdf
    from django.urls import reverse
    from django.utils import timezone

    from engagement.models import Contribution
    from portal.home.models import InvolvementLog, LogState
    from portal.notifications.models import Kind, Notification
    from tests.conftest import client_for

    _mail_dir, log_path = worker
    settings.LOG_BUILD_NOW_MAX_ENTRIES = 5
    stage = team.study.stages.order_by("position").first()
    Contribution.objects.bulk_create(
        Contribution(
            partner=team.partner,
            study=team.study,
            stage=stage,
            activity_type="meeting",
            activity_date=dt.date(2026, 1, 1) + dt.timedelta(days=n),
            minutes=60,
            what_they_did=f"Advisory group meeting number {n}",
            state="approved",
        )
        for n in range(40)
    )
    client = client_for(team.partner)
    response = client.post(
        reverse("log_new"),
        {
            "start": "2026-01-01",
            "end": timezone.localdate().isoformat(),
            "studies": [team.study.pk],
        },
    )
    log = InvolvementLog.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("log_detail", args=[log.pk])

    def built() -> bool:
        return InvolvementLog.objects.filter(pk=log.pk).exclude(state=LogState.BUILDING).exists()

    assert _wait_for(built, 120), "the worker did not build the log:\n" + log_path.read_text()
    log.refresh_from_db()
    assert log.state == LogState.READY, log.failure
    content = Path(log.file.path).read_bytes()
    assert hashlib.sha256(content).hexdigest() == log.digest
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert reader.metadata.title == f"Involvement log of {team.partner.display_name}"
    assert log.entries == 40
    assert Notification.objects.filter(
        recipient=team.partner, kind=Kind.LOG_READY, object_id=log.pk
    ).exists()
    page = client.get(reverse("log_detail", args=[log.pk])).content.decode()
    assert reverse("log_download", args=[log.pk]) in page


def test_health_reports_the_worker_once_a_real_worker_has_beaten(worker, redis_url, settings):
    _, log_path = worker
    settings.CELERY_BROKER_URL = redis_url
    assert Client().get("/health/").json()["checks"]["worker"] == "failing"

    heartbeat.delay()

    assert _wait_for(Heartbeat.objects.exists), "no heartbeat:\n" + log_path.read_text()
    response = Client().get("/health/")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == dict.fromkeys(
        ("database", "cache", "broker", "worker"), "ok"
    )
