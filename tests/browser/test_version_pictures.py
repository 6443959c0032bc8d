"""A document's pictures load in the browser from the portal itself, under the strict CSP."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ConsoleLog, log_in_as
from tests.browser.documents_data import MARKDOWN, make_world, ready_version
from tests.documents.conversion_helpers import TINY_PNG

pytestmark = pytest.mark.django_db(transaction=True)

DOT = "data:image/png;base64," + base64.b64encode(TINY_PNG).decode()


def test_a_versions_picture_is_shown_from_its_own_address(
    live_server: Any, page: Any, console: ConsoleLog
) -> None:
    world = make_world()
    version = ready_version(
        world.study, world.coordinator, MARKDOWN + f"\n![A red dot]({DOT})\n", title="Poster"
    )
    log_in_as(page, live_server, world.partner)

    response = page.goto(
        f"{live_server.url}/studies/{world.study.pk}/documents/{version.document_id}"
        f"/versions/{version.number}/"
    )

    assert "img-src 'self'" in response.headers["content-security-policy"]
    picture = page.get_by_role("img", name="A red dot")
    expect(picture).to_be_visible()
    src = picture.get_attribute("src")
    assert src.startswith(f"/studies/{world.study.pk}/")
    assert src.endswith("/pictures/1/")
    assert picture.evaluate("image => image.complete && image.naturalWidth") == 1
    # The page fixture fails the test on any CSP violation.
