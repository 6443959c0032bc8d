"""Fixtures for tests that drive a real Chromium against the live server.

Every test in this folder is marked ``browser`` and uses a transactional database,
because the live server answers from another thread.
"""

from __future__ import annotations

import os
import re
import select
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _in_this_folder(item):
            item.add_marker(pytest.mark.browser)


def _in_this_folder(item: pytest.Item) -> bool:
    return Path(str(item.path)).resolve().is_relative_to(_HERE)


class _Chromium:
    """One Chromium for the run of browser tests, stopped once the last of them is done.

    While Playwright's sync API is started, an asyncio loop counts as running in the
    test thread, and Django refuses ORM calls from it (SynchronousOnlyOperation). The
    test and the live server thread never use the database at the same moment, so the
    check is switched off, but only while Chromium runs: the rest of the test suite
    (and any subprocess it starts, such as ``manage.py check --deploy``) keeps it.
    """

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Any = None
        self._saved_env: str | None = None

    @property
    def running(self) -> bool:
        return self._playwright is not None

    def get(self) -> Any:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._saved_env = os.environ.get(ASYNC_UNSAFE)
            os.environ[ASYNC_UNSAFE] = "true"
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        return self._browser

    def stop(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
            if self._playwright is not None:
                self._playwright.stop()
        finally:
            self._browser = self._playwright = None
            if self._saved_env is None:
                os.environ.pop(ASYNC_UNSAFE, None)
            else:
                os.environ[ASYNC_UNSAFE] = self._saved_env


_CHROMIUM = _Chromium()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    result = yield
    if _CHROMIUM.running and (nextitem is None or not _in_this_folder(nextitem)):
        _CHROMIUM.stop()
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _CHROMIUM.running:  # the run was cut short
        _CHROMIUM.stop()


@pytest.fixture
def browser() -> Any:
    """The shared Chromium (started by the first browser test of the session)."""
    if not CHROMIUM.exists():
        unavailable(f"Chromium is not installed at {CHROMIUM}; browser tests need it.")
    return _CHROMIUM.get()


@dataclass
class ConsoleLog:
    """Console messages and page errors seen while a test ran."""

    messages: list[str] = field(default_factory=list)

    def csp_errors(self) -> list[str]:
        return [m for m in self.messages if re.search(r"Content.Security.Policy", m, re.I)]


def _watch(page: Any, log: ConsoleLog) -> None:
    page.on("console", lambda msg: log.messages.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda error: log.messages.append(f"pageerror: {error}"))


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


class _Connections:
    """The connections the live server is handling, counted as they are accepted and closed.

    Each connection has a thread of its own (``socketserver.ThreadingMixIn``); the count goes
    up in the server's thread when it hands one over, and down when that thread is done.
    """

    def __init__(self, server: Any) -> None:
        self._server = server
        self._lock = threading.Lock()
        self._open = 0
        hand_over = server.process_request
        handle = server.process_request_thread

        def counted_hand_over(request: Any, client_address: Any) -> None:
            with self._lock:
                self._open += 1
            try:
                hand_over(request, client_address)
            except BaseException:
                self._done()
                raise

        def counted_handle(request: Any, client_address: Any) -> None:
            try:
                handle(request, client_address)
            finally:
                self._done()

        # ThreadingMixIn.process_request starts a thread on self.process_request_thread.
        server.process_request = counted_hand_over
        server.process_request_thread = counted_handle

    def _done(self) -> None:
        with self._lock:
            self._open -= 1

    def idle(self) -> bool:
        """Nothing being handled, and no connection waiting to be accepted."""
        with self._lock:
            if self._open:
                return False
        waiting, _, _ = select.select([self._server.socket], [], [], 0)
        return not waiting


_SERVERS: dict[int, _Connections] = {}


@pytest.fixture(scope="session")
def live_server(live_server: Any) -> Any:
    """pytest-django's live server, with the connections it is handling counted."""
    server = live_server.thread.httpd
    if id(server) not in _SERVERS:
        _SERVERS[id(server)] = _Connections(server)
    return live_server


def wait_for_live_server_idle(live_server: Any, timeout: float = 10.0) -> None:
    """Wait until the live server has answered everything sent to it and holds no connection.

    Call it once the browser contexts are closed: a request a page sent as it closed (such as
    a draft saved on the way out) must land before the test's data is emptied, or it would
    write into the next test's.
    """
    connections = _SERVERS[id(live_server.thread.httpd)]
    deadline = time.monotonic() + timeout
    # Idle twice in a row: a connection accepted between the two checks is counted by then.
    settled = 0
    while settled < 2:
        settled = settled + 1 if connections.idle() else 0
        if time.monotonic() > deadline:
            raise AssertionError(f"the live server was still busy after {timeout} seconds")
        if settled < 2:
            time.sleep(0.01)


@pytest.fixture
def new_page(
    browser: Any, console: ConsoleLog, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh browser context (a different person); CSP stays on.

    Afterwards the contexts are closed and, when the test used the live server, its last
    requests are waited for, before the database is emptied for the next test.
    """
    contexts: list[Any] = []

    def make(**context_options: Any) -> Any:
        context = browser.new_context(locale="en-GB", **context_options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        _watch(page, console)
        return page

    yield make
    for context in contexts:
        context.close()
    if "live_server" in request.fixturenames:
        wait_for_live_server_idle(request.getfixturevalue("live_server"))
    assert not console.csp_errors(), "The Content Security Policy blocked something:\n" + "\n".join(
        console.csp_errors()
    )


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


def log_in_as(page: Any, live_server: Any, user: Any) -> None:
    """Give the page's browser context a logged-in session for ``user``, skipping the form."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "domain": urlsplit(live_server.url).hostname,
                "path": "/",
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )


def wait_for_mail(count: int = 1, timeout: float = 5.0) -> list[Any]:
    """The locmem outbox, once it holds ``count`` messages (the live server is a thread)."""
    from django.core import mail

    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mail.outbox) >= count, f"expected {count} email(s), got {len(mail.outbox)}"
    return list(mail.outbox)
