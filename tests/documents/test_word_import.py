"""Comments and tracked changes read from a Word copy of a version and placed on it."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.utils import timezone

from documents.conversion.errors import ConversionError
from documents.models import Outcome, Response
from documents.selectors import version_threads
from documents.services.comments import comment_reply
from documents.services.versions import version_blocks
from documents.word import version_docx
from documents.wordimport import propose, read_word
from engagement.access import StudyAccess
from engagement.models import Membership
from tests.conftest import StudyTeam
from tests.documents.builders import block_id_of, ready_version, thread

pytestmark = pytest.mark.django_db

PARAGRAPHS = [
    "# Taking part",
    "You can stop at any time, without *giving* a reason.",
    "We keep your answers for five years.",
    "The visits are at the clinic on Tuesdays.",
]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def access_of(team: StudyTeam, user: Any) -> StudyAccess:
    return StudyAccess(study=team.study, membership=Membership.objects.get(user=user))


def test_comments_made_in_word_come_back_to_their_words(team: StudyTeam) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    stop = block_id_of(version, "You can stop")
    keep = block_id_of(version, "We keep")
    passage = thread(
        version, team.partner, "Does it affect my care?", block_id=stop, exact="giving a"
    )
    comment_reply(thread=passage, author=team.researcher, body="It never does.")
    thread(version, team.partner, "Too long.", block_id=keep)
    thread(version, team.partner, "Clear overall.")
    Response.objects.create(
        comment=passage,
        outcome=Outcome.CHANGED,
        body="We say so now.",
        author=team.researcher,
        published_at=timezone.now(),
    )
    # The file a partner would download, comment on in Word and send back.
    data = version_docx(
        version, version_blocks(version), version_threads(version, access_of(team, team.partner))
    )
    proposals = propose(data, version_blocks(version))
    by_text = {p.comment.text.split("\n\n")[-1]: p for p in proposals}

    on_passage = by_text["Does it affect my care?"]
    assert on_passage.placement.block_id == stop
    assert on_passage.placement.method == "exact"
    assert on_passage.placement.anchor is not None
    assert on_passage.placement.anchor.exact == "giving a"
    assert on_passage.comment.author == team.partner.display_name
    reply = by_text["It never does."]
    assert reply.comment.parent == on_passage.comment.key
    answer = next(p for p in proposals if "We say so now." in p.comment.text)
    assert answer.comment.parent == on_passage.comment.key
    whole = by_text["Too long."]
    assert whole.placement.block_id == keep
    assert whole.placement.anchor is not None
    assert whole.placement.anchor.is_whole_block
    # Reading the same file twice finds the same comments, by the same keys.
    assert [p.comment.key for p in propose(data, version_blocks(version))] == [
        p.comment.key for p in proposals
    ]


def docx_with(body: str, comments: str = "", *, main: str = "document.main") -> bytes:
    """A minimal Word file: its document part, and comments if given."""
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        f'vnd.openxmlformats-officedocument.wordprocessingml.{main}+xml"/></Types>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr(
            "word/document.xml", f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>'
        )
        if comments:
            archive.writestr(
                "word/comments.xml", f'<w:comments xmlns:w="{W}">{comments}</w:comments>'
            )
    return out.getvalue()


def test_tracked_changes_become_suggestions_on_the_words_they_change(team: StudyTeam) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    body = (
        "<w:p><w:r><w:t>We keep your answers for </w:t></w:r>"
        '<w:del w:author="Sam"><w:r><w:delText>five</w:delText></w:r></w:del>'
        '<w:ins w:author="Sam"><w:r><w:t>three</w:t></w:r></w:ins>'
        "<w:r><w:t> years.</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>The visits are at the clinic</w:t></w:r>"
        '<w:ins w:author="Sam"><w:r><w:t> near the bus stop</w:t></w:r></w:ins>'
        "<w:r><w:t> on Tuesdays.</w:t></w:r></w:p>"
    )
    blocks, _found = read_word(docx_with(body))
    # The original wording is read: deleted words in, inserted ones out.
    assert [b.text for b in blocks] == [
        "We keep your answers for five years.",
        "The visits are at the clinic on Tuesdays.",
    ]
    proposals = propose(docx_with(body), version_blocks(version))
    assert [p.comment.text for p in proposals] == [
        "Suggests: “five” → “three”",
        "Suggests adding: “ near the bus stop”",
    ]
    assert [p.quote for p in proposals] == ["five", "clinic"]
    assert all(p.comment.author == "Sam" for p in proposals)
    assert all(p.placement.method == "exact" for p in proposals)
    assert proposals[0].placement.block_id == block_id_of(version, "We keep")


def test_a_comment_on_words_not_in_this_version_is_offered_as_unplaced(team: StudyTeam) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    body = (
        '<w:p><w:commentRangeStart w:id="0"/><w:r><w:t>Something from another document '
        'entirely, about gardening and bees.</w:t></w:r><w:commentRangeEnd w:id="0"/></w:p>'
    )
    comments = (
        '<w:comment w:id="0" w:author="Pat"><w:p><w:r><w:t>Lovely.</w:t></w:r></w:p></w:comment>'
    )
    (proposal,) = propose(docx_with(body, comments), version_blocks(version))
    assert proposal.comment.text == "Lovely."
    assert not proposal.placed
    assert proposal.quote.startswith("Something from another document")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip at all", "damaged|not a Word|cannot"),
        (docx_with("<w:p/>", main="document.macroEnabled.main"), "macros"),
        (docx_with("<w:p><w:r><w:t>unclosed"), "damaged"),
        (docx_with("<w:p><w:r><w:t>" + "word " * 5_000_000 + "</w:t></w:r></w:p>"), "too large"),
    ],
)
def test_a_file_that_is_not_a_plain_word_document_is_refused_plainly(
    data: bytes, message: str
) -> None:
    with pytest.raises(ConversionError, match=message):
        read_word(data)


# --- the page: send, check, add ------------------------------------------------------------


def word_url(version: Any) -> str:
    from django.urls import reverse

    return reverse(
        "version_word_comments", args=[version.document.study_id, version.document_id, 1]
    )


def commented_copy() -> bytes:
    """A partner's Word copy of the sheet: one comment on "five years", one tracked change."""
    body = (
        "<w:p><w:r><w:t>Taking part</w:t></w:r></w:p>"
        '<w:p><w:r><w:t>We keep your answers for </w:t></w:r><w:commentRangeStart w:id="1"/>'
        '<w:r><w:t>five years</w:t></w:r><w:commentRangeEnd w:id="1"/><w:r><w:t>.</w:t></w:r></w:p>'
        "<w:p><w:r><w:t>The visits are at the clinic</w:t></w:r>"
        '<w:ins w:author="Me"><w:r><w:t> near the bus stop</w:t></w:r></w:ins>'
        "<w:r><w:t> on Tuesdays.</w:t></w:r></w:p>"
    )
    comments = (
        '<w:comment w:id="1" w:author="Me"><w:p><w:r><w:t>Why so long?</w:t></w:r></w:p>'
        "</w:comment>"
    )
    return docx_with(body, comments)


def send(client: Any, version: Any, data: bytes, name: str = "sheet.docx") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        word_url(version), {"action": "upload", "file": SimpleUploadedFile(name, data)}
    )


def test_a_partner_sends_a_word_file_checks_it_and_adds_the_comments(team: StudyTeam) -> None:
    from documents.models import Comment, WordImport
    from tests.conftest import client_for
    from tests.documents.builders import open_round

    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    open_round(version, by=team.coordinator)
    client = client_for(team.partner)
    assert send(client, version, commented_copy()).status_code == 302
    page = client.get(word_url(version)).content.decode()
    assert "Why so long?" in page
    assert "On the words:" in page
    assert "Suggests adding: “ near the bus stop”" in page
    assert not Comment.objects.exists()  # nothing until confirmed

    rows = WordImport.objects.get().proposals
    comment_row = next(r for r in rows if r["text"] == "Why so long?")
    change_row = next(r for r in rows if r["kind"] == "suggestion")
    done = client.post(
        word_url(version),
        {
            "action": "confirm",
            f"include-{comment_row['key']}": "yes",
            f"text-{comment_row['key']}": "Why keep them so long?",
            f"text-{change_row['key']}": change_row["text"],  # left unticked
        },
    )
    assert done.status_code == 302
    (added,) = Comment.objects.all()
    assert added.author == team.partner
    assert added.body == "Why keep them so long?"
    assert added.quote == "five years"
    assert added.block_id == block_id_of(version, "We keep")

    # The same file again adds nothing twice.
    send(client, version, commented_copy())
    rows = WordImport.objects.filter(state="waiting").get().proposals
    client.post(
        word_url(version),
        {"action": "confirm", **{f"include-{r['key']}": "yes" for r in rows}}
        | {f"text-{r['key']}": r["text"] for r in rows},
    )
    assert Comment.objects.filter(body="Why keep them so long?").count() == 1
    assert Comment.objects.filter(body__startswith="Suggests adding").count() == 1
    assert Comment.objects.count() == 2


def test_a_file_of_another_document_is_refused_and_nothing_is_saved(team: StudyTeam) -> None:
    from documents.models import WordImport
    from tests.conftest import client_for

    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    other = docx_with(
        '<w:p><w:commentRangeStart w:id="0"/><w:r><w:t>A recipe for bread with seeds and '
        'honey.</w:t></w:r><w:commentRangeEnd w:id="0"/></w:p>',
        '<w:comment w:id="0" w:author="X"><w:p><w:r><w:t>Yum</w:t></w:r></w:p></w:comment>',
    )
    response = send(client_for(team.partner), version, other)
    assert response.status_code == 200
    assert "does not seem to be a copy of this document" in response.content.decode()
    assert not WordImport.objects.exists()
    for data, name, said in (
        (b"%PDF-1.4 not word", "sheet.pdf", "ending in .docx"),
        (b"PK\x03\x04 broken", "sheet.docx", "damaged"),
        (docx_with("<w:p/>", main="document.macroEnabled.main"), "sheet.docx", "macros"),
    ):
        refused = send(client_for(team.partner), version, data, name)
        assert refused.status_code == 200
        assert said in refused.content.decode()


def test_after_the_deadline_nothing_is_added_and_the_comments_wait(team: StudyTeam) -> None:
    from datetime import timedelta

    from documents.models import Comment, ReviewRound, WordImport
    from tests.conftest import client_for
    from tests.documents.builders import open_round

    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    review = open_round(version, by=team.coordinator)
    client = client_for(team.partner)
    send(client, version, commented_copy())
    ReviewRound.objects.filter(pk=review.pk).update(
        opens_at=timezone.now() - timedelta(days=2), deadline=timezone.now() - timedelta(hours=1)
    )
    rows = WordImport.objects.get().proposals
    response = client.post(
        word_url(version),
        {"action": "confirm"}
        | {f"include-{r['key']}": "yes" for r in rows}
        | {f"text-{r['key']}": r["text"] for r in rows},
        follow=True,
    )
    assert "closed on" in response.content.decode()
    assert not Comment.objects.exists()
    assert WordImport.objects.get().state == "waiting"


def test_a_copy_downloaded_from_the_portal_adds_nothing_already_here(team: StudyTeam) -> None:
    from documents.models import Comment, WordImport
    from tests.conftest import client_for

    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    thread(
        version, team.researcher, "Is five years right?", block_id=block_id_of(version, "We keep")
    )
    client = client_for(team.researcher)
    data = client.get(word_url(version).replace("word/comments/", "word/")).content
    send(client, version, data)
    assert all(row["already"] for row in WordImport.objects.get().proposals)
    client.post(word_url(version), {"action": "confirm"})
    assert Comment.objects.count() == 1
