"""The strict Content Security Policy is really on in the browser, and the checks see it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import ConsoleLog

pytestmark = pytest.mark.django_db(transaction=True)


def _reports_a_csp_violation(message: Any) -> bool:
    return bool(re.search(r"Content.Security.Policy", message.text, re.I))


def test_inline_script_is_refused_and_reported(
    live_server: Any, page: Any, console: ConsoleLog
) -> None:
    response = page.goto(f"{live_server.url}/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # Our own scripts ran (portal.js and the vendored bundles are same-origin files).
    assert page.evaluate("typeof window.htmx") == "object"

    with page.expect_console_message(_reports_a_csp_violation):
        page.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "window.injected = true";
              document.head.appendChild(script);
            }"""
        )
    assert page.evaluate("window.injected === undefined")
    assert console.csp_errors(), console.messages
    # This violation was the point of the test; the fixture checks for any others.
    console.messages.clear()
