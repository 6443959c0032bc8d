"""Every log line names its request: the id in the response, in JSON lines, and in tasks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import Client

from portal import requestlog
from portal.celery import _drop_request_id, _send_request_id, _take_request_id

ROOT = Path(__file__).resolve().parents[1]


def run_django(code: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """``code`` run after ``django.setup()`` in a fresh Python, with these settings' variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SETTINGS")}
    env.pop("SQL_LOG_LEVEL", None)
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", **settings)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db
def test_each_response_names_its_request_and_keeps_a_plain_proxy_id() -> None:
    client = Client()
    first = client.get("/help/partners/")["X-Request-ID"]
    second = client.get("/help/partners/")["X-Request-ID"]
    assert len(first) == 32
    assert first != second
    given = client.get("/help/partners/", headers={"X-Request-ID": "edge-7f3a9c21"})
    assert given["X-Request-ID"] == "edge-7f3a9c21"
    # Anything that could forge or break a log line is replaced by an id of our own.
    for hostile in ("short", "a" * 65, "line\\nbreak-00000", "<script>alert(1)</script>"):
        answer = client.get("/help/partners/", headers={"X-Request-ID": hostile})
        assert answer["X-Request-ID"] != hostile
        assert len(answer["X-Request-ID"]) == 32
    assert requestlog.current() == "-"


def test_a_json_log_line_carries_the_request_id() -> None:
    run = run_django(
        "import logging;"
        "from portal import requestlog;"
        "token = requestlog.use('req-0123456789');"
        "logging.getLogger('portal.check').warning('Something to see: %s', 'é');"
        "requestlog.forget(token);"
        "logging.getLogger('portal.check').warning('Outside a request')",
        DEBUG="true",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
    )
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    inside, outside = lines[-2], lines[-1]
    assert inside["request_id"] == "req-0123456789"
    assert inside["message"] == "Something to see: é"
    assert inside["level"] == "WARNING"
    assert inside["logger"] == "portal.check"
    assert "time" in inside
    assert outside["request_id"] == "-"


@pytest.mark.parametrize("debug", ["true", "false"])
def test_a_refused_request_is_logged_once_and_quiet_levels_stay_quiet(debug: str) -> None:
    run = run_django(
        "import logging;"
        "logging.getLogger('django.request').warning('Forbidden (Permission denied): /studies/1/');"
        "logging.getLogger('django.template').info('Only said at INFO')",
        DEBUG=debug,
        LOG_FORMAT="text",
        LOG_LEVEL="WARNING",
    )
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    forbidden = [line for line in lines if "Forbidden (Permission denied)" in line]
    assert len(forbidden) == 1, run.stderr
    assert " WARNING django.request [-] " in forbidden[0]
    assert not any("Only said at INFO" in line for line in lines)


def test_queries_are_not_logged_with_their_values_unless_asked_for(tmp_path: Path) -> None:
    code = (
        "from django.db import connection;"
        "connection.cursor().execute('SELECT %s', ['private-value-42'])"
    )
    # A database of its own: the query needs no tables, and the test databases are not its.
    own = {"DEBUG": "true", "LOG_LEVEL": "DEBUG", "DATABASE_URL": f"sqlite:///{tmp_path}/q.db"}
    quiet = run_django(code, **own)
    assert quiet.returncode == 0, quiet.stderr
    assert "private-value-42" not in quiet.stderr
    asked = run_django(code, **own, SQL_LOG_LEVEL="DEBUG")
    assert asked.returncode == 0, asked.stderr
    assert "private-value-42" in asked.stderr


def test_a_wrong_log_format_is_refused_at_start() -> None:
    run = run_django("", DEBUG="true", LOG_FORMAT="xml")
    assert run.returncode != 0
    assert "LOG_FORMAT must be text or json" in run.stderr


def test_a_task_carries_the_id_of_the_request_that_queued_it() -> None:
    headers: dict[str, str] = {}
    token = requestlog.use("req-abcdef123456")
    _send_request_id(headers=headers)
    requestlog.forget(token)
    assert headers == {"request_id": "req-abcdef123456"}

    task = SimpleNamespace(request=SimpleNamespace(request_id=headers["request_id"]))
    _take_request_id(task_id="t1", task=task)
    assert requestlog.current() == "req-abcdef123456"
    _drop_request_id(task_id="t1")
    assert requestlog.current() == "-"
    # A task queued outside any request gets an id of its own while it runs.
    _take_request_id(task_id="t2", task=SimpleNamespace(request=SimpleNamespace()))
    assert len(requestlog.current()) == 32
    _drop_request_id(task_id="t2")
