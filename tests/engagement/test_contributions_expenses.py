"""Expenses on a contribution: receipts checked by what they are, kept, and given back."""

from __future__ import annotations

import io
import os
import struct
import zlib
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from engagement.involvement.selectors import policy_for
from engagement.involvement.services.contributions import contribution_submit, expense_add
from engagement.models import Contribution, ContributionState, ExpenseLine, PaymentPolicy
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.engagement.contributions_data import action_url, detail_url, receipt_pdf, recorded
from tests.engagement.pages import messages_of, page_text, shows
from tests.factories import MembershipFactory

PDF = receipt_pdf()


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def expense_data(receipt: SimpleUploadedFile | None = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "expense_type": "travel",
        "description": "Bus to the hospital and back",
        "amount": "4.20",
    }
    if receipt is not None:
        data["receipt"] = receipt
    data.update(changes)
    return data


def add_url(contribution: Contribution) -> str:
    return action_url("expense_new", contribution)


def test_the_form_accepts_only_receipt_types(team: StudyTeam) -> None:
    contribution = recorded(team)
    response = client_for(team.partner).get(add_url(contribution))
    assert 'accept=".pdf,.jpg,.jpeg,.png"' in page_text(response)
    assert 'enctype="multipart/form-data"' in page_text(response)


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [("ticket.pdf", PDF, "application/pdf"), ("ticket photo.png", png_bytes(), "image/png")],
)
def test_a_partner_adds_an_expense_with_a_receipt_and_downloads_it(
    team: StudyTeam, name: str, data: bytes, kind: str
) -> None:
    contribution = recorded(team)
    client = client_for(team.partner)
    response = client.post(
        add_url(contribution), expense_data(SimpleUploadedFile(name, data, "text/plain"))
    )
    assert response.status_code == 302
    line = ExpenseLine.objects.get()
    assert line.amount == Decimal("4.20")
    assert line.receipt_name == name
    assert line.receipt_content_type == kind  # from the content, not the browser's word

    page = client.get(detail_url(contribution))
    assert shows(page, "Bus to the hospital and back")
    assert shows(page, "£4.20")
    receipt_url = reverse("expense_receipt", args=[contribution.study_id, contribution.pk, line.pk])
    assert receipt_url in page_text(page)

    contribution_submit(contribution=contribution)  # the team sees it once it is submitted
    assert client_for(team.researcher).get(receipt_url).status_code == 403
    for user in (team.partner, team.coordinator):
        download = client_for(user).get(receipt_url)
        assert download.status_code == 200
        assert download["Content-Type"] == kind
        assert download["Content-Disposition"].startswith("attachment")
        assert name.split()[0] in download["Content-Disposition"]
        served = b"".join(download.streaming_content)
        if kind == "application/pdf":  # written again, without anything a reader would run
            assert len(PdfReader(io.BytesIO(served)).pages) == 1
        else:
            assert served == data


def test_it_refuses_a_png_that_is_really_text(team: StudyTeam) -> None:
    contribution = recorded(team)
    fake = SimpleUploadedFile("receipt.png", b"just some words, not a picture", "image/png")
    response = client_for(team.partner).post(add_url(contribution), expense_data(fake))
    assert response.status_code == 200
    assert "error-summary" in page_text(response)
    assert shows(response, "A receipt must be a photo (JPEG or PNG) or a PDF.")
    assert 'href="#id_receipt"' in page_text(response)
    assert not ExpenseLine.objects.exists()


def test_it_refuses_a_receipt_over_5_mb(team: StudyTeam) -> None:
    contribution = recorded(team)
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * (6 * 1024 * 1024), "application/pdf")
    response = client_for(team.partner).post(add_url(contribution), expense_data(big))
    assert response.status_code == 200
    assert shows(response, "A receipt can be up to 5 MB.")
    assert not ExpenseLine.objects.exists()


def test_a_receipt_is_needed_when_the_policy_says_so(team: StudyTeam) -> None:
    contribution = recorded(team)
    assert policy_for(team.study).receipts_required
    response = client_for(team.partner).post(add_url(contribution), expense_data())
    assert response.status_code == 200
    assert shows(response, "This study needs a receipt for every expense.")
    assert not ExpenseLine.objects.exists()


def test_without_the_rule_an_expense_needs_no_receipt(team: StudyTeam) -> None:
    policy_for(team.study)
    PaymentPolicy.objects.filter(study=team.study).update(receipts_required=False)
    contribution = recorded(team)
    response = client_for(team.partner).post(add_url(contribution), expense_data())
    assert response.status_code == 302
    assert ExpenseLine.objects.get().receipt.name == ""


def test_submitting_without_a_needed_receipt_is_refused(team: StudyTeam) -> None:
    policy_for(team.study)
    PaymentPolicy.objects.filter(study=team.study).update(receipts_required=False)
    contribution = recorded(team)
    expense_add(contribution=contribution, expense_type="parking", amount="2.50")
    PaymentPolicy.objects.filter(study=team.study).update(receipts_required=True)
    response = client_for(team.partner).post(
        action_url("contribution_submit", contribution), follow=True
    )
    assert any("needs a receipt for every expense" in m for m in messages_of(response))
    contribution.refresh_from_db()
    assert contribution.state == ContributionState.DRAFT


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Enter the amount"),
        ("lots", "Enter the amount in pounds"),
        ("0", "between £0.01 and £10,000"),
        ("-3", "between £0.01 and £10,000"),
        ("1.234", "pounds and pence"),
    ],
)
def test_it_refuses_a_bad_amount(team: StudyTeam, amount: str, message: str) -> None:
    contribution = recorded(team)
    receipt = SimpleUploadedFile("ticket.pdf", PDF)
    response = client_for(team.partner).post(
        add_url(contribution), expense_data(receipt, amount=amount)
    )
    assert response.status_code == 200
    assert message in page_text(response)
    assert not ExpenseLine.objects.exists()


def test_removing_an_expense_asks_first_then_removes_it_and_its_receipt(team: StudyTeam) -> None:
    contribution = recorded(team)
    line = expense_add(
        contribution=contribution,
        expense_type="travel",
        amount="4.20",
        receipt=SimpleUploadedFile("ticket.pdf", PDF),
    )
    stored = line.receipt.path
    url = reverse("expense_remove", args=[contribution.study_id, contribution.pk, line.pk])
    client = client_for(team.partner)
    confirm = client.get(url)
    assert shows(confirm, "Remove this expense?")
    assert ExpenseLine.objects.exists()
    response = client.post(url, follow=True)
    assert "Expense removed." in messages_of(response)
    assert not ExpenseLine.objects.exists()
    assert not os.path.exists(stored)


def test_a_researcher_cannot_add_or_remove_expenses(team: StudyTeam) -> None:
    contribution = recorded(team)
    line = expense_add(
        contribution=contribution,
        expense_type="travel",
        amount="4.20",
        receipt=SimpleUploadedFile("ticket.pdf", PDF),
    )
    client = client_for(team.researcher)
    remove = reverse("expense_remove", args=[contribution.study_id, contribution.pk, line.pk])
    assert client.post(remove).status_code == 403
    assert client.post(add_url(contribution), expense_data()).status_code == 403
    assert ExpenseLine.objects.count() == 1


def test_another_partner_cannot_download_a_receipt(team: StudyTeam) -> None:
    contribution = recorded(team)
    line = expense_add(
        contribution=contribution,
        expense_type="travel",
        amount="4.20",
        receipt=SimpleUploadedFile("ticket.pdf", PDF),
    )
    other = MembershipFactory(study=team.study, role=Role.PARTNER).user
    url = reverse("expense_receipt", args=[contribution.study_id, contribution.pk, line.pk])
    assert client_for(other).get(url).status_code == 404
