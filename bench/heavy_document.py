"""A long protocol with pictures, converted by a real worker and shown in parts.

Run from the project root with the project's Python, PostgreSQL and Redis reachable::

    .venv/bin/python bench/heavy_document.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ppie_bench_heavy \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/heavy_document.py

It makes a throwaway database (``test_<NAME>``), then a Word file of about 20,000 paragraphs
with a few large pictures (about 3 MB), uploads it through the services, and has a Celery
worker process (prefork, one child, as in production) convert it through the real task:
the conversion runs in the worker's capped child process, which reports its own peak
memory. Then it measures the largest part of the version page and the "What changed" page
against a second version with 5% of the paragraphs edited. Everything it started is
stopped, and the database dropped, however it ends. Figures go to stdout, the headline
(``worker_peak_mib``) last; progress to stderr. See bench/README.md.
"""

from __future__ import annotations

import io
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ppie_bench_heavy")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/8")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)
from django.urls import reverse  # noqa: E402
from timing import client_for  # noqa: E402

PARAGRAPHS = int(os.environ.get("BENCH_PARAGRAPHS", "20000"))
PICTURES = 3
N = int(os.environ.get("BENCH_N", "10"))
TEXT = (
    "the study team will visit you at home and ask about your sleep work family and time "
    "with friends you can stop at any time and this will not affect your care we keep your "
    "answers private and only the research team can see your name"
)
WORDS = TEXT.split(" ")
_PEAK = re.compile(r"Conversion (\w+) after ([\d.]+) s, peak (\d+) bytes")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def picture(rng: random.Random, size: int = 560) -> bytes:
    """A PNG of noise: it barely compresses, so a few make megabytes, as photographs do."""
    from PIL import Image

    image = Image.frombytes("RGB", (size, size), rng.randbytes(size * size * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def protocol(rng: random.Random, edited: set[int] | None = None) -> bytes:
    """A Word file of PARAGRAPHS paragraphs under headings, with PICTURES pictures."""
    from docx import Document
    from docx.shared import Cm

    document = Document()
    document.add_heading("Study protocol", level=0)
    pictures = [picture(random.Random(n)) for n in range(PICTURES)]
    for n in range(PARAGRAPHS):
        if n % 40 == 0:
            document.add_heading(f"Section {n // 40 + 1}: what happens next", level=1)
        words = [WORDS[(n * 7 + k * 3) % len(WORDS)] for k in range(12 + n % 9)]
        text = f"Paragraph {n + 1}: " + " ".join(words) + "."
        if edited is not None and n in edited:
            text = text.replace("study team", "research nurse", 1) + " This was changed."
        document.add_paragraph(text)
        if n and n % (PARAGRAPHS // (PICTURES + 1)) == 0 and pictures:
            document.add_picture(io.BytesIO(pictures.pop()), width=Cm(8))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class WorkerMemory(threading.Thread):
    """The largest resident size seen of the worker and of any process under it."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.worker_kib = 0
        self.children_kib = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.worker_kib = max(self.worker_kib, _kib(self.pid))
            for child in _descendants(self.pid):
                self.children_kib = max(self.children_kib, _kib(child))
            time.sleep(0.05)


def _kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.append(child)
            found.extend(_descendants(child))
    return found


def start_worker(database_url: str, media: Path, queue: str, log_path: Path) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SETTINGS")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"],
        MEDIA_ROOT=str(media),
        VAR_DIR=str(media.parent / "var"),
        SECRET_KEY=settings.SECRET_KEY,
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS="localhost",
    )
    return subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--queues",
            queue,
            "--loglevel",
            "info",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_ready(version_id: int, seconds: float = 900) -> tuple[str, float]:
    from documents.models import Version, VersionStatus

    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        status = Version.objects.values_list("status", flat=True).get(pk=version_id)
        if status != VersionStatus.PREPARING:
            return status, time.perf_counter() - started
        time.sleep(0.2)
    return "timed out", seconds


def timed(client: Any, url: str) -> tuple[float, int]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(N):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), len(response.content)


def main() -> int:
    from django.core.cache import cache

    from documents.models import Version
    from documents.services.versions import document_create, version_add
    from engagement.services import study_create
    from portal.celery import app
    from portal.permissions import Role
    from tests.conftest import give_totp
    from tests.factories import MembershipFactory, UserFactory

    started = time.perf_counter()
    if connection.vendor != "postgresql":
        log("This benchmark needs PostgreSQL (the worker shares the database): set DATABASE_URL")
        return 2
    broker = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"], socket_connect_timeout=3)
    broker.ping()
    queue = f"bench-heavy-{os.getpid()}"
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    folder = tempfile.TemporaryDirectory(prefix="ppie-heavy-")
    media = Path(folder.name) / "media"
    settings.MEDIA_ROOT = str(media)
    worker = None
    try:
        s = connection.settings_dict
        database_url = (
            f"postgres://{s['USER'] or 'postgres'}{':' + s['PASSWORD'] if s['PASSWORD'] else ''}"
            f"@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        )
        app.conf.update(
            task_always_eager=False,
            broker_url=os.environ["CELERY_BROKER_URL"],
            task_default_queue=queue,
        )
        app._pool = None
        worker_log = Path(folder.name) / "worker.log"
        worker = start_worker(database_url, media, queue, worker_log)
        memory = WorkerMemory(worker.pid)
        memory.start()

        coordinator = UserFactory()
        give_totp(coordinator)
        study = study_create(
            created_by=coordinator, title="Long protocol", lay_summary="x", status="active"
        )
        partner = MembershipFactory(study=study, role=Role.PARTNER).user
        rng = random.Random(20261206)
        data = protocol(rng)
        log(f"built: {PARAGRAPHS} paragraphs, {PICTURES} pictures, {len(data) / 1e6:.1f} MB")
        first = document_create(
            study=study,
            title="Long protocol",
            kind="protocol",
            stage=None,
            data=data,
            filename="protocol.docx",
            change_summary="First draft.",
            created_by=coordinator,
        )
        status, convert_s = wait_ready(first.pk)
        log(f"version 1: {status} in {convert_s:.1f} s")
        first.refresh_from_db()
        if status != "ready":
            log(f"  {first.failure_reason}")
        edited = set(random.Random(7).sample(range(PARAGRAPHS), PARAGRAPHS // 20))
        second = version_add(
            document=first.document,
            data=protocol(rng, edited),
            filename="protocol-v2.docx",
            change_summary="Five in a hundred paragraphs edited.",
            uploaded_by=coordinator,
        )
        status2, convert2_s = wait_ready(second.pk)
        log(f"version 2: {status2} in {convert2_s:.1f} s")
        memory.running = False
        peaks = [int(m.group(3)) for m in _PEAK.finditer(worker_log.read_text())]

        client = client_for(partner)
        version = Version.objects.get(pk=first.pk)
        page = reverse("version_detail", args=[study.pk, version.document_id, version.number])
        parts = len(version.sections) or 1
        sizes = []
        for number in range(1, parts + 1):
            response = client.get(f"{page}?section={number}")
            assert response.status_code == 200
            sizes.append((len(response.content), number))
        largest_size, largest = max(sizes)
        page_ms, _size = timed(client, f"{page}?section={largest}")
        changes = reverse("version_changes", args=[study.pk, version.document_id, second.number])
        cache.clear()
        cold = time.perf_counter()
        assert client.get(changes).status_code == 200
        changes_first_ms = (time.perf_counter() - cold) * 1000
        changes_ms, changes_size = timed(client, changes)

        worker_peak = max(peaks) // (1024 * 1024) if peaks else memory.children_kib // 1024
        print(f"convert_s: {convert_s:.1f}")
        print(f"version_parts: {parts}")
        print(f"version_page_kib: {largest_size / 1024:.0f}")
        print(f"version_page_ms: {page_ms:.1f}")
        print(f"changes_page_first_ms: {changes_first_ms:.0f}")
        print(f"changes_page_kib: {changes_size / 1024:.0f}")
        print(f"changes_page_ms: {changes_ms:.1f}")
        print(f"worker_process_peak_mib: {memory.worker_kib // 1024}")
        print(f"worker_peak_mib: {worker_peak}")
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        keys = list(broker.scan_iter(match=f"*{queue}*"))
        if keys:
            broker.delete(*keys)
        connection.close()
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
        folder.cleanup()
        log(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
