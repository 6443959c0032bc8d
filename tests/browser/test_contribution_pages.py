"""Recording involvement in a real browser: the keyboard only, and axe on every page of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from engagement.involvement.services.contributions import (
    contribution_return,
    contribution_save,
    expense_add,
)
from engagement.models import Contribution, ContributionState, Study
from engagement.services import study_create
from portal.accounts.models import User
from portal.permissions import Role
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in_as
from tests.conftest import give_totp
from tests.engagement.contributions_data import receipt_pdf
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class World:
    study: Study
    coordinator: User
    partner: User


@pytest.fixture
def world() -> World:
    coordinator = UserFactory(display_name="Cora Coordinator")
    give_totp(coordinator)
    study = study_create(
        created_by=coordinator,
        title="Living well with arthritis",
        lay_summary="How people manage pain at home.",
        status="active",
    )
    partner = MembershipFactory(
        study=study, role=Role.PARTNER, user=UserFactory(display_name="Pat Partner")
    ).user
    return World(study, coordinator, partner)


def focused(page: Any, script: str) -> Any:
    return page.evaluate(f"(() => {{ const el = document.activeElement; return {script}; }})()")


def tab_to(page: Any, test: str, limit: int = 80) -> None:
    """Press Tab until ``test`` (a JS expression about ``el``) holds for the focused element."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, f"!!({test})"):
            return
    raise AssertionError(f"Tab never reached an element where {test}")


def test_a_partner_records_involvement_with_the_keyboard_only(
    live_server: Any, page: Any, world: World
) -> None:
    log_in_as(page, live_server, world.partner)
    page.goto(f"{live_server.url}/studies/{world.study.pk}/")
    tab_to(page, "el.textContent.trim() === 'Record involvement'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Record involvement")).to_be_visible()
    assert_accessible(page)

    # Sent empty: the error summary takes focus and links to each field.
    tab_to(page, "el.textContent.trim() === 'Submit for approval'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert focused(page, "el.hasAttribute('data-error-summary')")
    assert_accessible(page)
    assert not Contribution.objects.exists()

    tab_to(page, "el.getAttribute('href') === '#id_stage'")
    page.keyboard.press("Enter")
    if not focused(page, "el.id === 'id_stage'"):
        tab_to(page, "el.id === 'id_stage'", limit=3)
    page.keyboard.press("ArrowDown")
    tab_to(page, "el.id === 'id_activity_type'")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # the second activity: a meeting
    tab_to(page, "el.id === 'id_hours'")
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    tab_to(page, "el.id === 'id_minutes'")
    page.keyboard.press("Control+A")
    page.keyboard.type("30")
    tab_to(page, "el.id === 'id_what_they_did'")
    page.keyboard.type("Joined the steering group by phone.")
    tab_to(page, "el.type === 'checkbox' && el.value === 'working_together'")
    page.keyboard.press("Space")
    tab_to(page, "el.textContent.trim() === 'Submit for approval'")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Thank you. Your involvement is sent for approval.")).to_be_visible()
    contribution = Contribution.objects.get()
    assert contribution.state == ContributionState.SUBMITTED
    assert contribution.minutes == 90
    assert contribution.activity_type == "meeting"
    assert contribution.impact_standards == ["working_together"]
    assert contribution.partner == world.partner
    assert_accessible(page)

    page.goto(f"{live_server.url}/involvement/")
    expect(page.get_by_role("heading", level=1, name="Your involvement")).to_be_visible()
    expect(page.get_by_role("link", name="Meeting,")).to_be_visible()
    assert_accessible(page)


def test_a_proxy_entry_and_a_returned_contribution_are_accessible(
    live_server: Any, page: Any, world: World
) -> None:
    contribution = contribution_save(
        contribution=None,
        partner=world.partner,
        study=world.study,
        stage=world.study.stages.order_by("position").first(),
        activity_type="workshop",
        activity_date=timezone.localdate(),
        minutes=120,
        what_they_did="Ran a table at the workshop.",
        entered_by=world.coordinator,
        submit=True,
    )
    expense_add(
        contribution=contribution,
        expense_type="travel",
        amount="6.40",
        description="Return bus fare",
        receipt=SimpleUploadedFile("bus ticket.pdf", receipt_pdf()),
    )
    second = UserFactory(display_name="Sam Second")
    give_totp(second)
    MembershipFactory(study=world.study, role=Role.COORDINATOR, user=second)
    contribution_return(contribution=contribution, by=second, reason="Please add the venue.")

    log_in_as(page, live_server, world.partner)
    page.goto(f"{live_server.url}/studies/{world.study.pk}/contributions/{contribution.pk}/")
    expect(page.get_by_role("heading", name="Returned for changes")).to_be_visible()
    expect(page.get_by_text("Entered by Cora Coordinator on behalf of Pat Partner")).to_be_visible()
    expect(page.get_by_role("link", name="Download bus ticket.pdf")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}/involvement/?date_from=nonsense")
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)
