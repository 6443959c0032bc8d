"""Review reminders delivered by real Celery workers, through Redis, to a real SMTP server.

Each test starts `celery worker` processes on the real PostgreSQL test database, with email
going over SMTP to an aiosmtpd server on loopback that keeps what it is sent, so what is
checked is what a mail server would really receive: every message once, with its headers,
links and calendar file, whatever the broker or the mail server did on the way.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from kombu import Connection, Exchange, Queue

from documents.calendar import round_link
from documents.models import Document, DocumentKind, ReviewRound
from documents.reminders import round_remind, rounds_scan
from documents.services.rounds import round_open
from portal.celery import app as celery_app
from portal.notifications.models import Delivery, Kind, Notification
from portal.notifications.tokens import user_id_from_token
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for, unavailable
from tests.documents.builders import constructed_version
from tests.factories import MembershipFactory
from tests.integration.conftest import database_url_for_tests

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SITE_URL = "https://ppie.example.org"
TIMEOUT = 60.0
ROOT = Path(__file__).resolve().parents[2]


# --- a mail server on loopback ---------------------------------------------------------------


@dataclass
class Mailbox:
    """An aiosmtpd handler: it refuses the addresses in ``refuse`` (550) and keeps the rest."""

    refuse: set[str] = field(default_factory=set)
    messages: list[tuple[tuple[str, ...], EmailMessage]] = field(default_factory=list)
    rcpt_attempts: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        with self.lock:
            self.rcpt_attempts.append(address)
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        with self.lock:
            self.messages.append((tuple(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def received(self) -> list[tuple[tuple[str, ...], EmailMessage]]:
        with self.lock:
            return list(self.messages)

    def by_recipient_and_subject(self) -> Counter[tuple[str, str]]:
        return Counter(
            (address, subject_of(message))
            for rcpt_tos, message in self.received()
            for address in rcpt_tos
        )


def header(message: EmailMessage, name: str) -> str:
    """A header as a mail program shows it: a long one is folded right after its name, and
    the parser keeps that fold's leading space."""
    return str(message[name]).strip()


def subject_of(message: EmailMessage) -> str:
    return header(message, "Subject")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Mailbox, int]]]:
    """Start an SMTP server on 127.0.0.1 (a free port); returns its mailbox and port."""
    controllers: list[Controller] = []

    def start(refuse: set[str] | None = None) -> tuple[Mailbox, int]:
        mailbox = Mailbox(refuse=set(refuse or ()))
        port = free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return mailbox, port

    try:
        yield start
    finally:
        for controller in controllers:
            controller.stop()


# --- workers ---------------------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log_path: Path
    log: Any

    def text(self) -> str:
        return self.log_path.read_text()


def _queue_name() -> str:
    return f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def workers(postgres, tmp_path, settings, monkeypatch) -> Iterator[Callable[..., list[Worker]]]:
    """Start `celery worker` processes on one queue of this test's own, sending real SMTP.

    The test process publishes to the same queue over the same broker, and renders with the
    same SITE_URL and SECRET_KEY as the workers, so links and tokens agree on both sides.
    """
    started: list[Worker] = []
    state: dict[str, Any] = {}
    settings.SITE_URL = SITE_URL
    settings.MEDIA_ROOT = str(tmp_path / "media")

    def start(*, count: int, broker_url: str, smtp_port: int) -> list[Worker]:
        queue = state.setdefault("queue", _queue_name())
        state["broker_url"] = broker_url
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("EMAIL_", "PYTEST_", "DJANGO_SETTINGS"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="tests.integration.worker_settings",
            TEST_CELERY_QUEUE=queue,
            DATABASE_URL=database_url_for_tests(),
            CELERY_BROKER_URL=broker_url,
            # With EMAIL_HOST set, the settings choose Django's SMTP email backend.
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            EMAIL_USE_TLS="false",
            EMAIL_TIMEOUT="10",
            SITE_URL=SITE_URL,
            MEDIA_ROOT=settings.MEDIA_ROOT,
            VAR_DIR=str(tmp_path / "var"),
            SECRET_KEY=settings.SECRET_KEY,
            DEBUG="false",
            HTTPS="false",
            ALLOWED_HOSTS="localhost",
        )
        new = []
        for _ in range(count):
            number = len(started) + 1
            log_path = tmp_path / f"worker-{number}.log"
            log = log_path.open("w")
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "--pool",
                    "solo",
                    "--queues",
                    queue,
                    "--loglevel",
                    "info",
                    "--hostname",
                    f"{queue}-{number}@%h",
                    "--without-gossip",
                    "--without-mingle",
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            worker = Worker(process, log_path, log)
            started.append(worker)
            new.append(worker)
        for worker in new:
            ready = wait_for(lambda w=worker: " ready." in w.text() or w.process.poll() is not None)
            assert ready, "worker did not start:\n" + worker.text()
            assert worker.process.poll() is None, "worker stopped:\n" + worker.text()
        return new

    def publish_to(broker_url: str) -> None:
        """Point the test process's own publishing at the broker and queue of the workers."""
        queue = state.setdefault("queue", _queue_name())
        state["broker_url"] = broker_url
        # Celery takes the broker from this variable before its configuration.
        monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
        celery_app.conf.update(
            task_always_eager=False, broker_url=broker_url, task_default_queue=queue
        )
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    overrides = ("task_always_eager", "broker_url", "task_default_queue")
    saved = {key: celery_app.conf[key] for key in overrides}
    start.publish_to = publish_to  # type: ignore[attr-defined]
    start.state = state  # type: ignore[attr-defined]
    try:
        yield start
    finally:
        for worker in started:
            worker.process.terminate()
        for worker in started:
            try:
                worker.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(timeout=10)
            worker.log.close()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        celery_app.conf.update(saved)
        if "queue" in state and "broker_url" in state:
            try:
                broker = redis.Redis.from_url(state["broker_url"], socket_connect_timeout=2)
                keys = list(broker.scan_iter(match=f"*{state['queue']}*"))
                if keys:
                    broker.delete(*keys)
                broker.close()
            except redis.RedisError:
                pass  # the test's own Redis, already stopped: nothing is left in it


def wait_for(condition: Callable[[], bool], seconds: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


TASK_LINE = re.compile(r"Task ([\w.]+)\[([0-9a-f-]+)\] (received|succeeded|retry|raised)")


def task_events(workers: list[Worker]) -> list[tuple[str, str, str]]:
    """(task name, task id, event) for every task line in the workers' logs."""
    return [match.groups() for w in workers for match in TASK_LINE.finditer(w.text())]


def done_by(worker: Worker) -> Counter[str]:
    """How many of each task the worker finished, by the task's short name."""
    return Counter(
        name.rsplit(".", 1)[-1] for name, _id, event in task_events([worker]) if event != "received"
    )


def settled(workers: list[Worker], broker_url: str, queue: str) -> bool:
    """Nothing waits in the queue and every task a worker took has finished."""
    try:
        waiting = redis.Redis.from_url(broker_url, socket_connect_timeout=2).llen(queue)
    except redis.RedisError:
        return False
    events = task_events(workers)
    received = {task_id for _name, task_id, event in events if event == "received"}
    finished = {task_id for _name, task_id, event in events if event != "received"}
    return waiting == 0 and received <= finished


def wait_until_settled(workers: list[Worker], broker_url: str, queue: str) -> None:
    """Settled on several polls in a row (a task just taken from the queue is not yet logged)."""
    streak = {"n": 0}

    def steady() -> bool:
        streak["n"] = streak["n"] + 1 if settled(workers, broker_url, queue) else 0
        return streak["n"] >= 5

    assert wait_for(steady), "the workers did not finish:\n" + logs(workers)


def logs(workers: list[Worker]) -> str:
    return "\n".join(f"--- {w.log_path.name}\n{w.text()[-6000:]}" for w in workers)


# --- a study with a review round ---------------------------------------------------------------


def add_partners(team: StudyTeam, count: int, *, prefix: str = "Reviewer") -> None:
    for number in range(1, count + 1):
        MembershipFactory(
            study=team.study, role=Role.PARTNER, user__display_name=f"{prefix} {number:02d}"
        )


def round_just_opened(team: StudyTeam, *, deadline_in: dt.timedelta) -> ReviewRound:
    """A round for every partner, set up to open later and since opened (the scan's to tell).

    The deadline is on a whole minute, as the calendar file gives it to the second.
    """
    document = Document.objects.create(
        study=team.study, title="Information sheet", kind=DocumentKind.INFORMATION_SHEET
    )
    version = constructed_version(document, 3, by=team.coordinator)
    now = timezone.now()
    review_round = round_open(
        version=version,
        partners=None,
        opens_at=now + dt.timedelta(hours=1),
        deadline=(now + deadline_in).replace(second=0, microsecond=0),
        instructions="Please read the whole sheet.",
        independent=False,
        created_by=team.coordinator,
    )
    assert not Notification.objects.exists()  # not open yet: nobody told at setup
    ReviewRound.objects.filter(pk=review_round.pk).update(opens_at=now - dt.timedelta(minutes=1))
    review_round.refresh_from_db()
    return review_round


def expected_pairs(rows: list[Notification]) -> Counter[tuple[str, str]]:
    return Counter((row.recipient.email, row.subject) for row in rows)


def rows() -> list[Notification]:
    return list(Notification.objects.select_related("recipient").order_by("id"))


# --- 1. two workers, overlapping scans: every message once -----------------------------------


def test_two_workers_and_overlapping_scans_send_each_reminder_exactly_once(
    team, smtp_server, redis_url, workers
):
    from portal.home.tasks import reminders_scan
    from portal.notifications.tasks import notification_send, notifications_dispatch

    mailbox, smtp_port = smtp_server()
    workers.publish_to(redis_url)
    both = workers(count=2, broker_url=redis_url, smtp_port=smtp_port)
    add_partners(team, 11)  # with the team's own partner: 12
    review_round = round_just_opened(team, deadline_in=dt.timedelta(hours=23))

    # Two scans at once, each on whichever worker takes it, and two more hand-outs.
    for _ in range(2):
        reminders_scan.delay()
    for _ in range(2):
        notifications_dispatch.delay()

    def all_sent() -> bool:
        found = rows()
        return len(found) == 24 and all(row.delivery == Delivery.SENT for row in found)

    assert wait_for(all_sent), (
        f"{Counter(r.delivery for r in rows())}; received {len(mailbox.received())}\n" + logs(both)
    )
    wait_until_settled(both, redis_url, workers.state["queue"])

    recorded = rows()
    assert Counter(row.kind for row in recorded) == {Kind.ROUND_OPENED: 12, Kind.DEADLINE_NEAR: 12}
    assert {row.occasion for row in recorded if row.kind == Kind.DEADLINE_NEAR} == {"1d"}
    assert all(row.attempts == 1 and row.sent_at is not None for row in recorded)
    received = mailbox.by_recipient_and_subject()
    assert received == expected_pairs(recorded)  # each (recipient, subject) exactly once
    assert set(received.values()) == {1}
    assert len(mailbox.received()) == 24
    scans = [e for e in task_events(both) if e[0].endswith("reminders_scan")]
    assert sum(1 for e in scans if e[2] == "succeeded") == 2
    assert not [e for e in task_events(both) if e[2] != "received" and e[2] != "succeeded"]

    # What a partner's mail program receives.
    partner = team.partner
    page = SITE_URL + round_link(review_round)
    by_kind = {
        row.kind: row for row in recorded if row.recipient_id == partner.pk
    }  # one of each kind for this partner
    messages = {
        subject_of(message): message
        for rcpt_tos, message in mailbox.received()
        if rcpt_tos == (partner.email,)
    }
    assert set(messages) == {row.subject for row in by_kind.values()}
    for kind, row in by_kind.items():
        message = messages[row.subject]
        assert header(message, "To") == partner.email
        assert "Information sheet" in subject_of(message)
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        links = re.findall(r"https?://\S+", text)
        assert page in links, (kind, links)
        assert all(link.startswith(SITE_URL + "/") for link in links), links
        assert f'href="{page}"' in html
        assert not row.essential
        unsubscribe = header(message, "List-Unsubscribe")
        assert unsubscribe.startswith(f"<{SITE_URL}/")
        assert unsubscribe.endswith(">")
        token = unsubscribe.strip("<>").rstrip("/").rsplit("/", 1)[-1]
        assert unsubscribe.strip("<>") == SITE_URL + reverse("unsubscribe", args=[token])
        assert user_id_from_token(token) == partner.pk
        assert header(message, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"

    reminder = messages[by_kind[Kind.DEADLINE_NEAR].subject]
    assert subject_of(reminder).startswith("Reminder: comments on “Information sheet” are due by")
    calendars = [
        part for part in reminder.iter_attachments() if part.get_content_type() == "text/calendar"
    ]
    assert [part.get_filename() for part in calendars] == ["review-deadline.ics"]
    calendar = Calendar.from_ical(calendars[0].get_content())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    end = events[0].decoded("dtend")
    assert end == review_round.deadline
    assert end.utcoffset() == dt.timedelta(0)
    assert str(events[0]["url"]) == page

    # The team reminds by hand, and each reminder is handed to the workers twice more at once:
    # both processes race for the same rows, and the claim lets one of them send each.
    reminded, _ = round_remind(review_round=review_round)
    assert reminded == 12
    reminders = list(Notification.objects.filter(kind=Kind.REVIEW_REMINDER).order_by("id"))
    for row in reminders:
        notification_send.delay(row.pk)
        notification_send.delay(row.pk)

    def reminders_sent() -> bool:
        return (
            Notification.objects.filter(kind=Kind.REVIEW_REMINDER, delivery=Delivery.SENT).count()
            == 12
        )

    assert wait_for(reminders_sent), logs(both)
    wait_until_settled(both, redis_url, workers.state["queue"])
    recorded = rows()
    assert len(recorded) == 36
    assert all(row.delivery == Delivery.SENT and row.attempts == 1 for row in recorded)
    received = mailbox.by_recipient_and_subject()
    assert received == expected_pairs(recorded)
    assert set(received.values()) == {1}
    assert len(mailbox.received()) == 36
    single_sends = [
        (w, e) for w in both for e in task_events([w]) if e[0].endswith(".notification_send")
    ]
    assert sum(1 for _w, e in single_sends if e[2] == "succeeded") >= 24
    print("tasks each worker ran:", [done_by(worker) for worker in both])


# --- 2. Redis restarted: what was lost is found again ------------------------------------------


def binding_key(queue: str) -> str:
    """Where kombu's Redis transport keeps the routes to a queue (no route: a message is
    dropped)."""
    return f"_kombu.binding.{queue}"


def declare_queue(broker_url: str, queue: str) -> None:
    """Declare the queue and its route, as Celery does for the queue a worker consumes."""
    with Connection(broker_url) as connection:
        Queue(queue, Exchange(queue, type="direct"), routing_key=queue)(
            connection.default_channel
        ).declare()


def queued_tasks(broker: redis.Redis, queue: str) -> list[str]:
    """The short names of the tasks waiting in the queue."""
    return [
        json.loads(raw)["headers"]["task"].rsplit(".", 1)[-1] for raw in broker.lrange(queue, 0, -1)
    ]


@pytest.fixture
def own_redis(tmp_path) -> Iterator[Callable[[], Any]]:
    """A redis-server of this test's own on a free port, without persistence: a restart empties
    it. Returns a control with ``start()``, ``stop()`` and ``url``."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        unavailable("redis-server is not installed (the test restarts a Redis of its own)")
    port = free_port()

    class OwnRedis:
        url = f"redis://127.0.0.1:{port}/0"
        process: subprocess.Popen[bytes] | None = None

        def start(self) -> None:
            log = (tmp_path / "redis.log").open("a")
            self.process = subprocess.Popen(
                [
                    binary,
                    *("--port", str(port), "--bind", "127.0.0.1", "--save", ""),
                    *("--appendonly", "no", "--daemonize", "no", "--dir", str(tmp_path)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()

            def answers() -> bool:
                try:
                    return bool(redis.Redis.from_url(self.url, socket_connect_timeout=1).ping())
                except redis.RedisError:
                    return False

            assert wait_for(answers, 20), (tmp_path / "redis.log").read_text()

        def stop(self) -> None:
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
            self.process = None

    own = OwnRedis()
    try:
        yield own
    finally:
        own.stop()


def test_notifications_lost_with_a_restarted_redis_are_all_delivered_once(
    team, smtp_server, own_redis, workers, caplog
):
    from portal.home.tasks import reminders_scan
    from portal.notifications.tasks import notifications_dispatch

    mailbox, smtp_port = smtp_server()
    own_redis.start()
    workers.publish_to(own_redis.url)
    queue = workers.state["queue"]
    add_partners(team, 3)  # 4 partners
    review_round = round_just_opened(team, deadline_in=dt.timedelta(hours=23))
    broker = redis.Redis.from_url(own_redis.url)

    # Queued, then lost: recorded and handed out while no worker runs; Redis then restarts.
    declare_queue(own_redis.url, queue)  # as a worker does when it starts
    assert rounds_scan() == 8  # opened and 1 day left, for 4 partners
    notifications_dispatch()  # as a worker would: hands out all 8 and queues their sending
    assert Notification.objects.filter(queued_at__isnull=False).count() == 8
    queued = queued_tasks(broker, queue)
    assert "notifications_dispatch" in queued  # the scan's own
    assert any(name.endswith("_send") for name in queued), queued
    own_redis.stop()
    own_redis.start()
    assert broker.llen(queue) == 0  # every queued task is gone

    # Never queued: the broker is down when the team reminds by hand.
    worker = workers(count=1, broker_url=own_redis.url, smtp_port=smtp_port)
    own_redis.stop()
    with caplog.at_level(logging.WARNING, logger="portal.notifications.services"):
        reminded, _ = round_remind(review_round=review_round)  # its dispatch cannot be queued
    assert reminded == 4
    assert "recorded but not queued" in caplog.text
    assert Notification.objects.filter(kind=Kind.REVIEW_REMINDER, queued_at=None).count() == 4
    own_redis.start()
    assert broker.llen(queue) == 0
    assert not mailbox.received()
    # Until the worker is back and has declared its queue again, what is published is dropped.
    assert wait_for(lambda: broker.exists(binding_key(queue)) == 1), logs(worker)

    # The next scan hands out what was never handed out; what was handed out just now waits.
    reminders_scan.delay()
    reminders = Notification.objects.filter(kind=Kind.REVIEW_REMINDER)

    def reminders_sent() -> bool:
        return reminders.filter(delivery=Delivery.SENT).count() == 4

    assert wait_for(reminders_sent), logs(worker)
    wait_until_settled(worker, own_redis.url, queue)
    assert (
        Notification.objects.exclude(kind=Kind.REVIEW_REMINDER)
        .filter(delivery=Delivery.PENDING)
        .count()
        == 8
    )

    # Eleven minutes on, the lost ones count as stale and the next scan hands them out again.
    Notification.objects.filter(delivery=Delivery.PENDING).update(
        queued_at=timezone.now() - dt.timedelta(minutes=11)
    )
    reminders_scan.delay()

    def all_sent() -> bool:
        return Notification.objects.filter(delivery=Delivery.SENT).count() == 12

    assert wait_for(all_sent), f"{Counter(r.delivery for r in rows())}\n" + logs(worker)
    wait_until_settled(worker, own_redis.url, queue)
    recorded = rows()
    assert len(recorded) == 12
    assert all(row.delivery == Delivery.SENT and row.attempts == 1 for row in recorded)
    received = mailbox.by_recipient_and_subject()
    assert received == expected_pairs(recorded)
    assert set(received.values()) == {1}
    assert len(mailbox.received()) == 12
    assert "Connection to broker lost" in worker[0].text()  # it lived through the restart


# --- 3. a refused address: recorded for the team, not tried again ---------------------------


def test_a_refused_address_is_recorded_as_failed_and_shown_on_the_round_page(
    team, smtp_server, redis_url, workers
):
    from portal.home.tasks import reminders_scan

    add_partners(team, 2, prefix="Partner")
    refused = MembershipFactory(
        study=team.study, role=Role.PARTNER, user__display_name="Robin Unreachable"
    ).user
    mailbox, smtp_port = smtp_server(refuse={refused.email})
    workers.publish_to(redis_url)
    worker = workers(count=1, broker_url=redis_url, smtp_port=smtp_port)
    queue = workers.state["queue"]
    review_round = round_just_opened(team, deadline_in=dt.timedelta(days=14))
    reminders_scan.delay()  # records "opened" for the 4 partners and hands them out

    def all_done() -> bool:
        found = rows()
        return len(found) == 4 and all(
            row.delivery in (Delivery.SENT, Delivery.FAILED) for row in found
        )

    assert wait_for(all_done), f"{Counter(r.delivery for r in rows())}\n" + logs(worker)
    wait_until_settled(worker, redis_url, queue)
    failed = Notification.objects.get(recipient=refused)
    assert failed.delivery == Delivery.FAILED
    assert "the address was refused" in failed.error
    assert failed.attempts == 1
    others = Notification.objects.exclude(recipient=refused)
    assert others.count() == 3
    assert all(row.delivery == Delivery.SENT for row in others)
    assert mailbox.rcpt_attempts.count(refused.email) == 1
    assert {rcpt for rcpt_tos, _ in mailbox.received() for rcpt in rcpt_tos} == {
        row.recipient.email for row in others
    }

    # A later scan and dispatch leave it failed: a refusal is not tried again.
    reminders_scan.delay()
    assert wait_for(
        lambda: (
            sum(
                1
                for name, _id, event in task_events(worker)
                if name.endswith("reminders_scan") and event == "succeeded"
            )
            == 2
        )
    ), logs(worker)
    wait_until_settled(worker, redis_url, queue)
    failed.refresh_from_db()
    assert failed.delivery == Delivery.FAILED
    assert failed.attempts == 1
    assert mailbox.rcpt_attempts.count(refused.email) == 1
    assert " retry: " not in worker[0].text()

    response = client_for(team.coordinator).get(
        reverse("round_detail", args=[team.study.pk, review_round.pk])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "We could not email Robin Unreachable" in page
    assert "the address was refused" in page
    assert page.count("We could not email") == 1
