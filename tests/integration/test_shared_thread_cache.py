"""Two gunicorn workers on PostgreSQL and Redis: the rendered threads they keep are shared,
and a change to a comment always shows, whichever process serves the next page."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from documents.services.comments import comment_edit
from tests.conftest import StudyTeam
from tests.documents.builders import open_round, ready_version, thread
from tests.integration.conftest import database_url_for_tests

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def cache_url(redis_url: str) -> Any:
    """A Redis database of its own for the web processes' cache, emptied afterwards."""
    url = redis_url.rsplit("/", 1)[0] + "/14"
    yield url
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match="*thread-html:*")) + list(
        client.scan_iter(match="*document-page:*")
    )
    keys += list(client.scan_iter(match="*version-block-texts:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def two_workers(postgres: None, cache_url: str, tmp_path: Path) -> Any:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_SETTINGS"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=database_url_for_tests(),
        REDIS_URL=cache_url,
        SECRET_KEY=django_settings.SECRET_KEY,
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS="127.0.0.1",
        VAR_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    log = (tmp_path / "gunicorn.log").open("w")
    # As a deployment does: the pages name their static files through whitenoise's manifest.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-",
            "--access-logformat",
            "%(p)s %(r)s",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/help/partners/", timeout=2)  # noqa: S310
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.terminate()
        pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text())
    try:
        yield base, tmp_path / "gunicorn.log"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def get_many(base: str, path: str, session: str, n: int = 16) -> list[str]:
    """``n`` loads, four at a time, so that both workers answer some."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda _n: get(base, path, session), range(n)))


def get(base: str, path: str, session: str) -> str:
    request = urllib.request.Request(  # noqa: S310
        base + path, headers={"Cookie": f"{django_settings.SESSION_COOKIE_NAME}={session}"}
    )
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        assert response.status == 200
        return str(response.read().decode())


def test_a_change_shows_whichever_worker_serves_the_page(
    team: StudyTeam, two_workers: Any, cache_url: str
) -> None:
    base, log_path = two_workers
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Hello there."])
    open_round(version, by=team.coordinator)
    comment = thread(version, team.partner, "The first wording")
    client = Client()
    client.force_login(team.partner)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    path = reverse("version_detail", args=[team.study.pk, version.document_id, version.number])

    pages = get_many(base, path, session)
    assert all("The first wording" in page for page in pages)
    # Kept once, in Redis, for both processes.
    cached = redis.Redis.from_url(cache_url)
    assert list(cached.scan_iter(match="*thread-html:*"))
    cached.close()

    comment_edit(comment=comment, author=team.partner, body="The second wording")
    pages = get_many(base, path, session)
    assert all("The second wording" in page for page in pages)
    assert not any("The first wording" in page for page in pages)
    # Both workers answered (the access log names the process of each request).
    served_by = {
        line.split()[0] for line in log_path.read_text().splitlines() if f"GET {path}" in line
    }
    assert len(served_by) == 2, served_by
