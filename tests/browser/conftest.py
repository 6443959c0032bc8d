"""Fixtures for tests that drive a real Chromium against the live server.

Every test in this folder is marked ``browser`` and uses a transactional database,
because the live server answers from another thread.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would refuse
# ORM calls made from it. The live server and the test never touch the database at once.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

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
IN_CI = os.environ.get("CI", "").lower() == "true"

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(_HERE):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM}; browser tests need it."
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


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


@pytest.fixture
def new_page(browser: Any, console: ConsoleLog) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh browser context (a different person); CSP stays on."""
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
