"""The approval and payment pages in Chromium: axe finds nothing, with data and with errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from engagement.involvement.services.contributions import (
    contribution_approve,
    contribution_save,
    contribution_submit,
    expense_add,
)
from engagement.models import Contribution
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in_as
from tests.conftest import StudyTeam
from tests.engagement.contributions_data import receipt_pdf

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def waiting(team: StudyTeam) -> Contribution:
    """One contribution approved (with expenses to reimburse), one waiting, one by proxy."""

    def record(minutes: int, entered_by: Any) -> Contribution:
        contribution = contribution_save(
            contribution=None,
            partner=team.partner,
            study=team.study,
            stage=team.stage,
            activity_type="meeting",
            activity_date=dt.date(2025, 12, 20),
            minutes=minutes,
            what_they_did="Steering group meeting",
            entered_by=entered_by,
        )
        expense_add(
            contribution=contribution,
            expense_type="travel",
            amount="4.20",
            receipt=SimpleUploadedFile("ticket.pdf", receipt_pdf()),
        )
        return contribution_submit(contribution=contribution)

    contribution_approve(contribution=record(180, team.partner), by=team.coordinator)
    record(60, team.coordinator)
    return record(90, team.partner)


def test_the_approval_and_payment_pages_have_no_axe_violations(
    live_server: Any, page: Any, team: StudyTeam, waiting: Contribution
) -> None:
    log_in_as(page, live_server, team.coordinator)
    base = f"{live_server.url}/studies/{team.study.pk}"

    page.goto(f"{base}/approvals/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contributions waiting for approval")
    expect(page.get_by_text("Entered by proxy by Cora Coordinator")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{base}/contributions/{waiting.pk}/return/")
    page.get_by_role("button", name="Return to the partner").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_accessible(page)

    page.goto(f"{base}/contributions/{waiting.pk}/history/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)

    page.goto(f"{base}/payments/")
    expect(page.get_by_role("heading", name="Payments due")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{base}/payments/policy/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment policy")
    assert_accessible(page)
    page.get_by_label("Hours").first.fill("")
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{base}/payments/export/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("From").fill("2025-12-31")
    page.get_by_label("To").fill("2025-11-01")
    page.get_by_role("button", name="Download").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)


def test_approving_selected_works_with_the_keyboard_alone(
    live_server: Any, page: Any, team: StudyTeam, waiting: Contribution
) -> None:
    log_in_as(page, live_server, team.coordinator)
    page.goto(f"{live_server.url}/studies/{team.study.pk}/approvals/")
    # Only the partner's own can be ticked: the one this coordinator entered by proxy needs
    # another coordinator's approval, and the page says so instead.
    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(1)
    page.locator(f'input[type="checkbox"][value="{waiting.pk}"]').focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Approve selected").press("Enter")
    expect(page.get_by_text("Approved:")).to_be_visible()
    expect(page.get_by_role("checkbox")).to_have_count(0)
    expect(page.get_by_text("You entered it: another coordinator must approve it.")).to_be_visible()
    assert_accessible(page)
