"""A person downloads everything the portal holds about them, as JSON and as a PDF."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.urls import reverse

from portal.accounts.models import SensitiveAccess
from tests.conftest import StudyTeam, client_for
from tests.home import privacy_data as data
from tests.home.pdfs import outline_titles, pdf_text, save_artefact

SECTIONS = {
    "format",
    "made",
    "person",
    "profile",
    "memberships",
    "invitations",
    "contributions",
    "comments",
    "comment_drafts",
    "word_imports",
    "answers_written",
    "review_assignments",
    "involvement_logs",
    "notifications",
    "access_to_your_records",
    "erasure",
}


@pytest.fixture
def lived(team: StudyTeam) -> data.Lived:
    return data.lived(team)


def download_json(team: StudyTeam) -> dict[str, Any]:
    response = client_for(team.partner).get(reverse("personal_data_json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    loaded: dict[str, Any] = json.loads(response.content)
    return loaded


def test_the_json_holds_every_kind_of_record_about_the_person(
    team: StudyTeam, lived: data.Lived
) -> None:
    SensitiveAccess.objects.create(
        by=team.coordinator,
        subject=team.partner,
        what="receipt",
        verb="downloaded",
        study_id=team.study.pk,
    )
    got = download_json(team)
    assert set(got) == SECTIONS
    assert got["format"] == "ppie-portal-personal-data/1"
    assert got["person"]["name"] == data.NAME
    assert got["person"]["email"] == data.EMAIL
    assert got["profile"]["access_needs"] == data.ACCESS_NEEDS
    assert got["profile"]["phone"] == data.PHONE
    assert got["profile"]["payment_preference"] == "reduce"
    assert got["memberships"] == [
        {
            "study_id": team.study.pk,
            "study": "Living well",
            "role": "partner",
            "joined": team.study.memberships.get(user=team.partner).joined_on.isoformat(),
            "left": None,
        }
    ]
    assert got["invitations"][0]["message"].startswith("Dear " + data.NAME)
    done = {c["what_you_did"]: c for c in got["contributions"]}
    assert set(done) == {data.DONE, data.UNSENT}
    paid = done[data.DONE]
    assert paid["state"] == "paid"
    assert paid["payment_reference"] == "BACS-PQM-1"
    assert paid["expenses"] == [
        {
            "type": "travel",
            "details": "",
            "amount": "4.20",
            "receipt": f"{data.NAME} bus ticket.pdf",
            "receipt_kept": True,
        }
    ]
    comment = got["comments"][0]
    assert comment["text"] == data.COMMENT
    assert comment["passage"] == "stop"
    assert comment["earlier_wordings"][0]["text"] == "An earlier wording"
    assert comment["answer"]["what_we_did"] == "We named who sees the records"
    assert got["comment_drafts"][0]["text"] == data.DRAFT
    assert got["word_imports"][0]["found"] == [{"author": data.NAME, "text": "From my Word copy"}]
    assert got["review_assignments"][0]["state"] == "not_started"
    assert got["involvement_logs"][0]["code"] == lived.log.code
    assert {n["kind"] for n in got["notifications"]} >= {"round_opened"}
    assert got["access_to_your_records"] == [
        {
            "when": got["access_to_your_records"][0]["when"],
            "by": "Cora Coordinator",
            "what": "receipt",
            "action": "downloaded",
            "study": "Living well",
            "details": "",
        }
    ]
    assert got["erasure"] is None


def test_the_json_holds_nothing_about_anyone_else(team: StudyTeam, lived: data.Lived) -> None:
    own = download_json(team)
    response = client_for(team.researcher).get(reverse("personal_data_json"))
    theirs = json.loads(response.content)
    assert theirs["person"]["name"] == team.researcher.display_name
    assert data.NAME not in response.content.decode()
    assert data.ACCESS_NEEDS not in response.content.decode()
    # The researcher's own answer is theirs; the partner's comment is not.
    assert theirs["answers_written"][0]["what_we_did"] == "We named who sees the records"
    assert theirs["comments"] == []
    assert own["answers_written"] == []


def test_every_key_is_documented(team: StudyTeam, lived: data.Lived) -> None:
    documented = (Path(__file__).resolve().parents[2] / "docs" / "personal-data.md").read_text()
    got = download_json(team)

    def keys(value: Any, found: set[str]) -> set[str]:
        if isinstance(value, dict):
            for key, item in value.items():
                found.add(key)
                keys(item, found)
        elif isinstance(value, list):
            for item in value:
                keys(item, found)
        return found

    missing = sorted(key for key in keys(got, set()) if f"`{key}`" not in documented)
    assert not missing, f"keys not in docs/personal-data.md: {missing}"


def test_the_pdf_reads_back_with_the_name_studies_and_contributions(
    team: StudyTeam, lived: data.Lived, tmp_path: Path
) -> None:
    response = client_for(team.partner).get(reverse("personal_data_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = pdf_text(response.content, tmp_path)
    assert data.NAME in text
    assert "Living well" in text
    assert data.DONE in text
    assert data.ACCESS_NEEDS in text
    assert data.COMMENT in text
    # Codes read as words.
    assert "Document review" in text
    assert "Accept a reduced payment (40%)" in text
    assert "document_review" not in text
    # Tagged and titled like the involvement log, with a bookmark per section.
    assert reader.trailer["/Root"].get("/MarkInfo", {}).get("/Marked")
    assert reader.trailer["/Root"]["/StructTreeRoot"]
    assert data.NAME in reader.metadata.title
    titles = outline_titles(reader)
    for heading in ("Your profile", "Your studies", "Your contributions", "Your comments"):
        assert heading in titles
    save_artefact(response.content, "personal-data")


def test_the_profile_page_offers_both_downloads(team: StudyTeam) -> None:
    page = client_for(team.partner).get(reverse("profile")).content.decode()
    assert reverse("personal_data_pdf") in page
    assert reverse("personal_data_json") in page


def test_the_json_takes_a_fixed_number_of_queries(
    team: StudyTeam, lived: data.Lived, django_assert_max_num_queries: Any
) -> None:
    for n in range(5):
        data.paid_contribution(team, f"Another meeting {n}")
    client = client_for(team.partner)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("personal_data_json"))
    assert len(json.loads(response.content)["contributions"]) == 7


@pytest.mark.parametrize("name", ["personal_data_json", "personal_data_pdf"])
def test_the_downloads_count_towards_the_download_limit(
    team: StudyTeam, settings: Any, name: str
) -> None:
    settings.EXPORT_RATE = "1/m"
    client = client_for(team.partner)
    client.get(reverse("personal_data_json"))
    refused = client.get(reverse(name))
    assert refused.status_code == 429
    assert "Too many downloads for now" in refused.content.decode()
