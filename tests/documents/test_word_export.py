"""A version as a Word file: every conversation the reader may see is a Word comment on its
passage, replies and the team's answer are replies, and Word's readers agree (python-docx,
and LibreOffice, which opens it and writes it back with every comment)."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document
from lxml import etree

from documents.models import Outcome, Response, Version
from documents.services.comments import comment_reply, comment_withdraw
from tests.conftest import StudyTeam, client_for, unavailable
from tests.documents.builders import block_id_of, open_round, ready_version, thread

pytestmark = pytest.mark.django_db

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"


@pytest.fixture
def sheet(team: StudyTeam) -> dict[str, Any]:
    version = ready_version(
        study=team.study,
        by=team.coordinator,
        paragraphs=[
            "# Taking part",
            "You can stop at any time, without *giving* a reason.",
            "We keep your answers for five years.",
            "- Visits last an hour.",
        ],
    )
    open_round(version, by=team.coordinator)
    stop = block_id_of(version, "You can stop")
    passage = thread(
        version,
        team.partner,
        "Does stopping affect my care?",
        block_id=stop,
        exact="without giving",
    )
    comment_reply(thread=passage, author=team.researcher, body="No, never.")
    Response.objects.create(
        comment=passage,
        outcome=Outcome.CHANGED,
        body="We now say it will not affect your care.",
        author=team.researcher,
        published_at=timezone.now(),
    )
    whole_block = thread(
        version, team.partner, "Five years is long.", block_id=block_id_of(version, "We keep")
    )
    Response.objects.create(
        comment=whole_block,
        outcome=Outcome.NOT_CHANGED,
        body="A draft the team is still writing.",
        reason="The ethics committee set it.",
        author=team.researcher,
    )
    document = thread(version, team.partner, "Clear overall.")
    team_only = thread(version, team.researcher, "Check with ethics.", visibility="team")
    gone = thread(version, team.partner, "Never mind.")
    comment_withdraw(comment=gone, author=team.partner)
    return {"version": version, "passage": passage, "team_only": team_only, "doc": document}


def download(user: Any, version: Version) -> bytes:
    url = reverse("version_word", args=[version.document.study_id, version.document_id, 1])
    response = client_for(user).get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert " v1 with comments " in response["Content-Disposition"]
    return bytes(response.content)


def anchored_text(data: bytes) -> dict[str, str]:
    """Each comment's id and the document text between its range markers."""
    body = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    open_ids: list[str] = []
    texts: dict[str, str] = {}
    for element in body.iter():
        if element.tag == f"{W}commentRangeStart":
            open_ids.append(element.get(f"{W}id"))
            texts[element.get(f"{W}id")] = ""
        elif element.tag == f"{W}commentRangeEnd":
            open_ids.remove(element.get(f"{W}id"))
        elif element.tag == f"{W}t":
            for comment_id in open_ids:
                texts[comment_id] += element.text or ""
    return texts


def comments_of(data: bytes) -> list[tuple[str, str, str]]:
    """(id, author, text) of every comment, read by python-docx."""
    document = Document(io.BytesIO(data))
    return [(str(c.comment_id), c.author, c.text) for c in document.comments]


def test_each_conversation_is_a_comment_on_its_passage_with_replies_as_replies(
    team: StudyTeam, sheet: dict[str, Any]
) -> None:
    data = download(team.coordinator, sheet["version"])
    comments = comments_of(data)
    by_text = {text: (cid, author) for cid, author, text in comments}
    passage_id, author = by_text["Does stopping affect my care?"]
    assert author == team.partner.display_name
    anchors = anchored_text(data)
    # The quote crosses the emphasis in the original; in Word it is the same words.
    assert anchors[passage_id] == "without giving"
    reply_id, reply_author = by_text["No, never."]
    assert reply_author == team.researcher.display_name
    assert anchors[reply_id] == "without giving"
    answer = next(text for _cid, _a, text in comments if "We now say" in text)
    assert answer.startswith("You said, we did: Changed.")
    # A paragraph's comment covers the paragraph; the document's, the title.
    whole = next(cid for cid, _a, text in comments if "Five years is long." in text)
    assert anchors[whole] == "We keep your answers for five years."
    overall = next(cid for cid, _a, text in comments if "Clear overall." in text)
    assert anchors[overall].startswith("Participant information sheet, version 1")
    # The team sees its own comments and its draft answer, marked as such.
    assert any("Check with ethics." in text for _cid, _a, text in comments)
    assert any(text.startswith("Draft, not published") for _cid, _a, text in comments)
    assert not any("Never mind." in text for _cid, _a, text in comments)

    # Replies are threaded: each reply's paragraph names its conversation's.
    archive = zipfile.ZipFile(io.BytesIO(data))
    extended = etree.fromstring(archive.read("word/commentsExtended.xml"))
    words = etree.fromstring(archive.read("word/comments.xml"))
    para_of = {c.get(f"{W}id"): c.findall(f"{W}p")[-1].get(f"{W14}paraId") for c in words}
    parent_of = {e.get(f"{W15}paraId"): e.get(f"{W15}paraIdParent") for e in extended}
    assert parent_of[para_of[reply_id]] == para_of[passage_id]
    assert parent_of[para_of[passage_id]] is None
    assert "commentsExtended" in archive.read("[Content_Types].xml").decode()


def test_a_partner_gets_only_what_they_may_see(team: StudyTeam, sheet: dict[str, Any]) -> None:
    texts = [text for _cid, _a, text in comments_of(download(team.partner, sheet["version"]))]
    assert "Does stopping affect my care?" in texts
    assert not any("Check with ethics." in text for text in texts)
    assert not any("A draft the team is still writing." in text for text in texts)
    assert not any("Draft, not published" in text for text in texts)


def test_libreoffice_opens_it_and_writes_back_every_comment(
    team: StudyTeam, sheet: dict[str, Any], tmp_path: Path
) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        unavailable("LibreOffice (soffice) is missing: apt-get install libreoffice-writer-nogui")
    data = download(team.coordinator, sheet["version"])
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "sheet.docx").write_bytes(data)
    run = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(tmp_path / "out"),
            str(tmp_path / "in" / "sheet.docx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    again = (tmp_path / "out" / "sheet.docx").read_bytes()
    before = sorted((author, text) for _cid, author, text in comments_of(data))
    after = sorted((author, text) for _cid, author, text in comments_of(again))
    assert after == before
    anchors = anchored_text(again)
    passage = next(cid for cid, _a, text in comments_of(again) if text.startswith("Does stop"))
    assert anchors[passage] == "without giving"
