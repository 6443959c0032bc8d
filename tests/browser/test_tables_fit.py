"""Wide tables fit: on a 360 px phone every action is on the screen and no word breaks inside;
at 1280 px the study's stage table shows its last column."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from engagement.involvement.services.contributions import (
    contribution_approve,
    contribution_mark_paid,
    contribution_save,
    contribution_submit,
    expense_add,
)
from engagement.models import Contribution
from portal.permissions import Role
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in_as
from tests.conftest import StudyTeam
from tests.engagement.contributions_data import receipt_pdf
from tests.engagement.history_data import contribution, stages_of
from tests.factories import PASSWORD, MembershipFactory
from tests.notifications.helpers import a_round_open_now

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}

# Every link and button in the page's main content, and where it lies across the screen.
ACTIONS_OUTSIDE = """(width) => [...document.querySelectorAll('main a, main button, main input')]
  .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
  .map((el) => [el.textContent.trim() || el.id, el.getBoundingClientRect()])
  .filter(([, box]) => box.width > 1 && (box.x < 0 || box.x + box.width > width + 0.5))
  .map(([text, box]) => `${text} at ${Math.round(box.x)}..${Math.round(box.x + box.width)}`)"""

# Words of table cells drawn on more than one line ("Trav" / "el"); a hyphen may end a line.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/[^\\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


@pytest.fixture
def claims(team: StudyTeam) -> Contribution:
    """Time due, expenses to reimburse, something paid, two waiting (one entered by proxy)."""

    def record(minutes: int, entered_by: Any, what: str) -> Contribution:
        made = contribution_save(
            contribution=None,
            partner=team.partner,
            study=team.study,
            stage=team.stage,
            activity_type="workshop",
            activity_date=dt.date(2025, 12, 20),
            minutes=minutes,
            what_they_did=what,
            entered_by=entered_by,
        )
        for kind, amount in (("travel", "14.20"), ("care", "6.50")):
            expense_add(
                contribution=made,
                expense_type=kind,
                amount=amount,
                description="Return bus fare from Longbridge to the university",
                receipt=SimpleUploadedFile("ticket.pdf", receipt_pdf()),
            )
        return contribution_submit(contribution=made)

    due = contribution_approve(contribution=record(210, team.partner, "Due"), by=team.coordinator)
    paid = contribution_approve(contribution=record(60, team.partner, "Paid"), by=team.coordinator)
    contribution_mark_paid(
        contribution=paid, paid_on=dt.date.today(), reference="BACS-2026-03-000112"
    )
    record(45, team.coordinator, "Entered for the partner after a phone call")
    del due
    return record(90, team.partner, "Reviewed the interview topic guide and suggested changes")


# Tables wider than the screen; a grid of stages against partners may scroll in its box.
WIDER_THAN_THE_SCREEN = """(width) => [...document.querySelectorAll('main table')]
  .filter((table) => !table.matches('.stage-partner-table, .chart-table'))
  .filter((table) => table.getBoundingClientRect().right > width + 0.5)
  .map((table) => table.className)"""


def assert_fits(page: Any, path: str) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"] + 1, f"{path} is {scroll_width}px wide at 360px"
    outside = page.evaluate(ACTIONS_OUTSIDE, PHONE["width"])
    assert not outside, f"on {path} these actions are off the screen: {outside}"
    broken = page.evaluate(BROKEN_WORDS)
    assert not broken, f"on {path} these words break inside: {broken}"
    wide = page.evaluate(WIDER_THAN_THE_SCREEN, PHONE["width"])
    assert not wide, f"on {path} these tables are cut off at the edge: {wide}"


def test_approvals_payments_and_expenses_fit_a_narrow_phone(
    live_server: Any, new_page: Any, team: StudyTeam, claims: Contribution
) -> None:
    page = new_page(viewport=PHONE)
    log_in_as(page, live_server, team.coordinator)
    base = f"/studies/{team.study.pk}"
    for path, heading in (
        (f"{base}/approvals/", "Contributions waiting for approval"),
        (f"{base}/payments/", "Payments"),
        (f"{base}/contributions/{claims.pk}/", None),
    ):
        page.goto(live_server.url + path)
        expect(page.locator("main h1")).to_be_visible()
        if heading:
            expect(page.locator("main h1")).to_have_text(heading)
        assert_fits(page, path)
        assert_accessible(page)
    # The actions that matter are there, on the screen.
    page.goto(f"{live_server.url}{base}/approvals/")
    approve = page.get_by_role("button", name="Approve").first
    approve.scroll_into_view_if_needed()
    expect(approve).to_be_in_viewport()
    expect(
        page.get_by_text("No other coordinator of this study can approve it yet")
    ).to_be_visible()
    page.goto(f"{live_server.url}{base}/payments/")
    expect(page.get_by_role("link", name="Mark as paid").first).to_be_visible()
    expect(page.get_by_role("button", name="Mark selected as paid")).to_be_visible()


def test_paying_several_from_a_phone(
    live_server: Any, new_page: Any, team: StudyTeam, claims: Contribution
) -> None:
    page = new_page(viewport=PHONE)
    log_in_as(page, live_server, team.coordinator)
    page.goto(f"{live_server.url}/studies/{team.study.pk}/payments/")
    page.get_by_label("Select the expenses of", exact=False).first.check()
    page.get_by_role("button", name="Mark selected as reimbursed").click()
    expect(page.get_by_text("Expenses marked as reimbursed:")).to_be_visible()
    assert_fits(page, "payments after reimbursing")
    assert_accessible(page)


def test_the_study_stage_table_shows_its_last_column_at_1280(
    live_server: Any, new_page: Any, team: StudyTeam
) -> None:
    partners = [team.partner] + [
        MembershipFactory(study=team.study, role=Role.PARTNER, user__display_name=name).user
        for name in ("Sam Longname-Worthington", "Alex Able")
    ]
    stages = stages_of(team.study)
    for n in range(60):
        contribution(
            study=team.study,
            partner=partners[n % 3],
            stage=stages[n % len(stages)],
            minutes=30 + 15 * (n % 6),
            on=dt.date(2024, 1, 5) + dt.timedelta(days=11 * n),
        )
    page = new_page(viewport={"width": 1280, "height": 900})
    log_in_as(page, live_server, team.coordinator)
    page.goto(f"{live_server.url}/studies/{team.study.pk}/involvement/")
    table = page.locator("table.stage-partner-table")
    expect(table).to_be_visible()
    last_stage = table.locator(f'thead th[data-stage="{stages[-1].pk}"]')
    total = table.locator("thead th").last
    box = page.locator(".table-responsive:has(table.stage-partner-table)").bounding_box()
    for cell in (last_stage, total):
        cell_box = cell.bounding_box()
        assert cell_box["x"] >= box["x"] - 0.5
        assert cell_box["x"] + cell_box["width"] <= box["x"] + box["width"] + 0.5, (
            f"{cell.text_content()} is cut off at {cell_box} in a box of {box}"
        )
    scrolls = page.evaluate(
        "document.querySelector('.table-responsive:has(.stage-partner-table)').scrollWidth"
        " - document.querySelector('.table-responsive:has(.stage-partner-table)').clientWidth"
    )
    assert scrolls <= 1, f"the stage table scrolls sideways by {scrolls}px at 1280px"
    assert not page.evaluate(BROKEN_WORDS)
    assert_accessible(page)


def test_you_said_we_did_fits_a_narrow_phone(
    live_server: Any, new_page: Any, team: StudyTeam
) -> None:
    from documents.services.responses import response_save
    from tests.documents.builders import ready_version, thread

    version = ready_version(
        study=team.study, by=team.coordinator, paragraphs=["# Taking part", "You can stop."]
    )
    asked = thread(version, team.partner, "Could the sheet say who to contact afterwards?")
    response_save(
        thread=asked,
        author=team.researcher,
        outcome="changed",
        body="We added the study nurse's telephone number and an email address.",
        publish=True,
    )
    thread(version, team.partner, "Is there parking near the clinic?")
    page = new_page(viewport=PHONE)
    log_in_as(page, live_server, team.partner)
    path = f"/studies/{team.study.pk}/documents/{version.document_id}/you-said-we-did/"
    page.goto(live_server.url + path)
    expect(page.locator("main h1")).to_be_visible()
    assert_fits(page, path)
    # Each cell says which column it is, now that the columns are stacked.
    expect(page.locator("td[data-label='We did']").first).to_contain_text("study nurse")
    assert_accessible(page)


def test_every_list_of_people_studies_and_records_fits_a_narrow_phone(
    live_server: Any, new_page: Any, team: StudyTeam, claims: Contribution
) -> None:
    """Each table that lists things (not a grid of stages against partners) stacks its rows."""
    review = a_round_open_now(team, [team.partner])
    base = f"/studies/{team.study.pk}"
    page = new_page(viewport=PHONE)
    log_in_as(page, live_server, team.coordinator)
    # Looking at a partner's profile is written in the record of who saw sensitive records.
    page.goto(f"{live_server.url}{base}/members/partners/{team.partner.pk}/profile/")
    for path in (
        "/",
        f"{base}/members/",
        f"{base}/documents/",
        f"{base}/rounds/{review.pk}/",
        f"{base}/payments/policy/",
        f"{base}/privacy/access-record/",
        f"{base}/involvement/",
        f"{base}/involvement/partners/{team.partner.pk}/",
        f"{base}/contributions/{claims.pk}/history/",
    ):
        page.goto(live_server.url + path)
        expect(page.locator("main h1")).to_be_visible()
        assert page.locator("main table").count(), f"{path} has no table to check"
        assert_fits(page, path)
    # The partner logs in by the form, so that the list of where they are logged in has a row.
    partner = new_page(viewport=PHONE)
    partner.goto(live_server.url + "/accounts/login/")
    partner.get_by_label("Email").fill(team.partner.email)
    partner.get_by_label("Password").fill(PASSWORD)
    partner.get_by_role("button", name="Log in").click()
    expect(partner.get_by_role("button", name="Log out")).to_be_visible()
    for path in ("/involvement/", "/accounts/sessions/"):
        partner.goto(live_server.url + path)
        expect(partner.locator("main h1")).to_be_visible()
        assert partner.locator("main table").count(), f"{path} has no table to check"
        assert_fits(partner, path)
    partner.goto(live_server.url + "/involvement/")
    # Each stacked cell says what it is.
    expect(partner.locator("table.involvement-groups td[data-label='Time']").first).to_be_visible()
