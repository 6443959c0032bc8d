"""Hostile receipts: a clear message or a clean file, never the original served as something a
browser or PDF reader would run."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from engagement.involvement.receipts import download_name, pdf_without_actions
from engagement.involvement.services.contributions import contribution_submit
from engagement.models import Contribution, ExpenseLine
from portal.rules import RuleBroken
from tests.conftest import StudyTeam, client_for
from tests.engagement.contributions_data import action_url, receipt_pdf, recorded
from tests.engagement.pages import page_text, shows
from tests.engagement.test_contributions_expenses import expense_data, png_bytes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HOSTILE = sorted((FIXTURES / "hostile").iterdir())
SERVED_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
ACTIVE_KEYS = {"/OpenAction", "/AA", "/JS", "/JavaScript", "/EmbeddedFiles", "/XFA"}


def _action(kind: str, **entries: object) -> DictionaryObject:
    action = DictionaryObject(
        {NameObject("/Type"): NameObject("/Action"), NameObject("/S"): NameObject(kind)}
    )
    for key, value in entries.items():
        action[NameObject("/" + key)] = value  # type: ignore[assignment]
    return action


def _annotation(action: DictionaryObject) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
            NameObject("/A"): action,
        }
    )


def scripted_pdf() -> bytes:
    """A one-page PDF that runs a script on opening, names another, runs one when its page
    opens, and has a link that launches a program (then runs a script) beside a web link."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    root = writer.root_object
    script = _action("/JavaScript", JS=TextStringObject("app.alert('opened')"))
    root[NameObject("/OpenAction")] = writer._add_object(script)
    named = _action("/JavaScript", JS=TextStringObject("app.alert('named')"))
    root[NameObject("/Names")] = DictionaryObject(
        {
            NameObject("/JavaScript"): DictionaryObject(
                {
                    NameObject("/Names"): ArrayObject(
                        [TextStringObject("x"), writer._add_object(named)]
                    )
                }
            )
        }
    )
    page[NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): _action("/JavaScript", JS=TextStringObject("app.alert('page')"))}
    )
    launch = _action(
        "/Launch",
        F=TextStringObject("calc.exe"),
        Next=_action("/JavaScript", JS=TextStringObject("app.alert('next')")),
    )
    web = _action("/URI", URI=TextStringObject("https://example.org/receipts"))
    page[NameObject("/Annots")] = ArrayObject(
        [writer._add_object(_annotation(launch)), writer._add_object(_annotation(web))]
    )
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _active_parts(data: bytes) -> list[str]:
    """Every key or action anywhere in the PDF that a reader would run by itself."""
    reader = PdfReader(io.BytesIO(data))
    found: list[str] = []
    seen: set[int] = set()
    stack: list[object] = [reader.trailer]
    while stack:
        value = stack.pop()
        if hasattr(value, "idnum"):
            if value.idnum in seen:
                continue
            seen.add(value.idnum)
            value = value.get_object()
        if isinstance(value, DictionaryObject):
            found += [key for key in value if key in ACTIVE_KEYS]
            if value.get("/S") in {"/JavaScript", "/Launch"}:
                found.append(str(value["/S"]))
            stack.extend(value.values())
        elif isinstance(value, ArrayObject):
            stack.extend(value)
    return found


def _add(team: StudyTeam, name: str, data: bytes) -> tuple[Contribution, Any]:
    contribution = recorded(team)
    response = client_for(team.partner).post(
        action_url("expense_new", contribution),
        expense_data(SimpleUploadedFile(name, data, "application/octet-stream")),
    )
    return contribution, response


def _download(team: StudyTeam, contribution: Contribution, line: ExpenseLine) -> tuple[Any, bytes]:
    """The receipt's response and what it served, read to the end (which closes the file)."""
    url = reverse("expense_receipt", args=[contribution.study_id, contribution.pk, line.pk])
    response = client_for(team.partner).get(url)
    return response, b"".join(response.streaming_content)


def test_the_scripted_pdf_really_has_everything_removed_here() -> None:
    assert set(_active_parts(scripted_pdf())) >= {"/OpenAction", "/AA", "/JavaScript", "/Launch"}


def test_a_pdf_is_stored_without_its_scripts_and_actions(team: StudyTeam) -> None:
    contribution, response = _add(team, "ticket.pdf", scripted_pdf())
    assert response.status_code == 302
    line = ExpenseLine.objects.get()
    with line.receipt.open("rb") as stored:
        kept = stored.read()
    assert _active_parts(kept) == []
    for word in (b"app.alert", b"calc.exe", b"JavaScript", b"OpenAction"):
        assert word not in kept
    reader = PdfReader(io.BytesIO(kept))
    assert len(reader.pages) == 1
    links = [annotation.get_object() for annotation in reader.pages[0]["/Annots"]]
    # The plain web link stays; the one that launched a program does nothing now.
    assert [link["/A"]["/URI"] for link in links if "/A" in link] == [
        "https://example.org/receipts"
    ]

    download, served = _download(team, contribution, line)
    assert download["Content-Type"] == "application/pdf"
    assert served == kept


def test_a_pdf_with_a_password_is_refused_with_a_message(team: StudyTeam) -> None:
    _contribution, response = _add(
        team, "locked.pdf", (FIXTURES / "pdf" / "encrypted-file.pdf").read_bytes()
    )
    assert response.status_code == 200
    assert shows(response, "This PDF is protected by a password")
    assert 'href="#id_receipt"' in page_text(response)
    assert not ExpenseLine.objects.exists()


@pytest.mark.parametrize("path", HOSTILE, ids=[path.name for path in HOSTILE])
def test_each_hostile_file_gets_a_message_or_a_clean_file(team: StudyTeam, path: Path) -> None:
    contribution, response = _add(team, path.name, path.read_bytes())
    line = ExpenseLine.objects.first()
    if line is None:
        assert response.status_code == 200
        assert "error-summary" in page_text(response)
        assert 'href="#id_receipt"' in page_text(response)
        return
    assert line.receipt_content_type in SERVED_TYPES
    download, served = _download(team, contribution, line)
    assert download["Content-Type"] == line.receipt_content_type
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert disposition.endswith(SERVED_TYPES[line.receipt_content_type] + '"')
    if line.receipt_content_type == "application/pdf":
        assert _active_parts(served) == []


def test_a_receipt_downloads_with_the_extension_of_its_real_type(team: StudyTeam) -> None:
    contribution, response = _add(team, "receipt.html", png_bytes())
    assert response.status_code == 302
    line = ExpenseLine.objects.get()
    assert line.receipt_name == "receipt.png"
    download, _served = _download(team, contribution, line)
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"] == 'attachment; filename="receipt.png"'
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_receipt_stored_before_under_a_misleading_name_downloads_under_a_true_one(
    team: StudyTeam,
) -> None:
    contribution, _response = _add(team, "ticket.pdf", receipt_pdf())
    ExpenseLine.objects.update(receipt_name="ticket.pdf.html")
    download, _served = _download(team, contribution, ExpenseLine.objects.get())
    assert download["Content-Disposition"] == 'attachment; filename="ticket.pdf"'

    ExpenseLine.objects.update(receipt_content_type="text/html")
    contribution_submit(contribution=contribution)
    download, _served = _download(team, contribution, ExpenseLine.objects.get())
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"] == 'attachment; filename="ticket"'


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("bus ticket.pdf", "application/pdf", "bus ticket.pdf"),
        ("../../etc/passwd.pdf", "application/pdf", "passwd.pdf"),
        ("C:\\Users\\me\\scan.PNG", "image/png", "scan.png"),
        ("photo.jpg.exe", "image/jpeg", "photo.jpg"),
        ('quote" onload=x.png', "image/png", "quote onloadx.png"),
        ("", "application/pdf", "receipt.pdf"),
        (".htaccess", "image/png", "receipt.png"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 80 + ".pdf"),
    ],
)
def test_download_names(name: str, kind: str, expected: str) -> None:
    assert download_name(name, kind) == expected


def test_what_is_not_a_readable_pdf_is_refused() -> None:
    for data in (b"%PDF-1.7\n", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"):
        with pytest.raises(RuleBroken, match="damaged or incomplete"):
            pdf_without_actions(data)
