"""Uploading documents and versions, reading them, downloading originals, failed conversions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from documents.models import (
    Assignment,
    AssignmentState,
    Comment,
    CommentDraft,
    CommentPlacement,
    Document,
    DocumentKind,
    Outcome,
    Response,
    ReviewRound,
    Version,
    VersionStatus,
    Visibility,
)
from documents.services.comments import reply_key
from documents.services.versions import version_convert
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import (
    constructed_version,
    fixture_bytes,
    markdown_of,
    ready_version,
    upload,
)
from tests.factories import MembershipFactory


def version_url(version: Version, name: str = "version_detail") -> str:
    return reverse(
        name,
        kwargs={
            "study_id": version.document.study_id,
            "document_id": version.document_id,
            "number": version.number,
        },
    )


def post_upload(
    client: Any, team: StudyTeam, name: str, data: bytes, *, title: str = "Information sheet"
) -> Any:
    return client.post(
        reverse("document_new", args=[team.study.pk]),
        {
            "title": title,
            "kind": DocumentKind.INFORMATION_SHEET,
            "stage": "",
            "change_summary": "First draft for partners.",
            "file": SimpleUploadedFile(name, data),
        },
    )


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# --- uploading and reading -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "texts", "noun"),
    [
        ("docx/tables.docx", ["Above", "Top left", "Bottom right"], "table cell"),
        (
            "text/co-production-study-summary.md",
            ["The role of co-production in sustainability", "Why the research is needed?"],
            "paragraph",
        ),
        ("pdf/hello-world.pdf", ["Hello World"], "paragraph"),
    ],
)
def test_an_uploaded_document_is_shown_as_text_with_a_comment_control_on_every_block(
    team: StudyTeam,
    django_capture_on_commit_callbacks: Any,
    fixture: str,
    texts: list[str],
    noun: str,
) -> None:
    client = client_for(team.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_upload(client, team, Path(fixture).name, fixture_bytes(fixture))
    version = Version.objects.get()
    assert response.status_code == 302
    assert response["Location"] == version_url(version)
    assert version.status == VersionStatus.READY, version.failure_reason
    assert version.original_name == Path(fixture).name
    assert version.blocks

    page = client_for(team.partner).get(version_url(version))
    assert page.status_code == 200
    content = page.content.decode()
    for text in texts:
        assert text in content
    assert f"Comment on this {noun}" in content
    for block in version.blocks[:5]:
        assert f'id="{block["id"]}"' in content
        assert f'data-comment-block="{block["id"]}"' in content
        assert f'href="?block={block["id"]}#comment-form"' in content


@pytest.mark.parametrize(
    "fixture", ["docx/tables.docx", "pdf/hello-world.pdf", "text/co-production-study-summary.md"]
)
def test_the_original_downloads_with_its_name_and_the_same_bytes(
    team: StudyTeam, fixture: str
) -> None:
    data = fixture_bytes(fixture)
    version = ready_version(study=team.study, by=team.coordinator, fixture=fixture)
    response = client_for(team.partner).get(version_url(version, "version_original"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == data
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert Path(fixture).name in disposition


def test_an_original_with_an_unusual_name_downloads_under_that_name(team: StudyTeam) -> None:
    version = upload(
        study=team.study,
        by=team.coordinator,
        filename="Información del estudio v2.md",
        data=markdown_of(["Hola."]),
    )
    response = client_for(team.partner).get(version_url(version, "version_original"))
    b"".join(response.streaming_content)
    disposition = response["Content-Disposition"]
    assert quote("Información del estudio v2.md") in disposition


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("hostile/html-named.docx", "This file is named .docx but is not a Word document"),
        ("hostile/text-named.pdf", "This file is named .pdf but is not a PDF"),
        ("hostile/word-named.md", "This file is named .md but is not a Markdown or text file"),
    ],
)
def test_a_file_whose_name_lies_about_its_content_is_refused_and_nothing_is_stored(
    team: StudyTeam,
    media: Path,
    django_capture_on_commit_callbacks: Any,
    fixture: str,
    message: str,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_upload(
            client_for(team.researcher), team, Path(fixture).name, fixture_bytes(fixture)
        )
    assert response.status_code == 200
    content = response.content.decode()
    assert "error-summary" in content
    assert message in content
    assert not Document.objects.exists()
    assert not Version.objects.exists()
    assert not stored_files(media)
    assert not callbacks


def test_a_file_over_the_size_limit_is_refused(team: StudyTeam, settings: Any, media: Path) -> None:
    settings.DOCUMENT_MAX_BYTES = 1024
    data = fixture_bytes("docx/tables.docx")
    assert len(data) > 1024
    response = post_upload(client_for(team.coordinator), team, "tables.docx", data)
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert "the largest we accept is" in response.content.decode()
    assert not Document.objects.exists()
    assert not stored_files(media)


def test_a_new_version_over_the_size_limit_is_refused(team: StudyTeam, settings: Any) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Short."])
    settings.DOCUMENT_MAX_BYTES = 10
    response = client_for(team.researcher).post(
        reverse("version_new", args=[team.study.pk, version.document_id]),
        {
            "change_summary": "Longer.",
            "file": SimpleUploadedFile("sheet.md", b"A much longer paragraph than ten bytes.\n"),
        },
    )
    assert response.status_code == 200
    assert "the largest we accept is" in response.content.decode()
    assert Version.objects.count() == 1


def test_a_file_that_cannot_be_converted_is_marked_failed_and_the_original_kept(
    team: StudyTeam, django_capture_on_commit_callbacks: Any
) -> None:
    data = fixture_bytes("pdf/encrypted-file.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        post_upload(client_for(team.coordinator), team, "encrypted-file.pdf", data)
    version = Version.objects.get()
    assert version.status == VersionStatus.FAILED
    assert "password-protected" in version.failure_reason
    assert version.html == ""

    page = client_for(team.partner).get(version_url(version))
    content = page.content.decode()
    assert "This version could not be shown as a web page." in content
    assert "password-protected" in content
    assert "Download the original (encrypted-file.pdf)" in content
    assert "Add a comment" not in content

    download = client_for(team.partner).get(version_url(version, "version_original"))
    assert b"".join(download.streaming_content) == data


def test_a_converter_crash_is_reported_as_a_failure_not_an_error(
    team: StudyTeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("library bug")

    monkeypatch.setattr("documents.services.versions.convert_isolated", crash)
    version = upload(
        study=team.study,
        by=team.coordinator,
        filename="sheet.md",
        data=markdown_of(["Hello."]),
    )
    assert version.status == VersionStatus.FAILED
    assert "The original is kept" in version.failure_reason
    page = client_for(team.partner).get(version_url(version))
    assert page.status_code == 200
    assert "The original is kept" in page.content.decode()


def test_a_version_being_prepared_shows_the_status_box_and_the_poll_says_when_ready(
    team: StudyTeam,
) -> None:
    # No on-commit callbacks run here, so the worker has not converted it yet.
    response = post_upload(
        client_for(team.coordinator), team, "sheet.md", markdown_of(["Still cooking."])
    )
    version = Version.objects.get()
    assert response.status_code == 302
    assert version.status == VersionStatus.PREPARING

    client = client_for(team.partner)
    page = client.get(version_url(version)).content.decode()
    assert "This version is being prepared." in page
    assert f'hx-get="{version_url(version, "version_status")}"' in page
    assert "Still cooking." not in page

    poll = client.get(version_url(version, "version_status"), HTTP_HX_REQUEST="true")
    assert poll.status_code == 200
    assert "HX-Refresh" not in poll
    assert "being prepared" in poll.content.decode()

    version_convert(version_id=version.pk)
    poll = client.get(version_url(version, "version_status"), HTTP_HX_REQUEST="true")
    assert poll["HX-Refresh"] == "true"
    assert "Still cooking." in client.get(version_url(version)).content.decode()


def test_a_failed_conversion_also_stops_the_polling(team: StudyTeam) -> None:
    version = upload(
        study=team.study,
        by=team.coordinator,
        filename="encrypted-file.pdf",
        data=fixture_bytes("pdf/encrypted-file.pdf"),
    )
    poll = client_for(team.partner).get(version_url(version, "version_status"))
    assert poll["HX-Refresh"] == "true"


def test_converting_twice_changes_nothing(team: StudyTeam) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Once."])
    converted_at = version.converted_at
    version_convert(version_id=version.pk)
    version.refresh_from_db()
    assert version.converted_at == converted_at


def test_a_researcher_uploads_a_new_version_with_the_next_number(
    team: StudyTeam, django_capture_on_commit_callbacks: Any
) -> None:
    first = ready_version(study=team.study, by=team.coordinator, paragraphs=["Old text."])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(team.researcher).post(
            reverse("version_new", args=[team.study.pk, first.document_id]),
            {
                "change_summary": "We shortened it.",
                "file": SimpleUploadedFile("sheet-v2.md", b"New text.\n"),
            },
        )
    second = Version.objects.get(document=first.document, number=2)
    assert response["Location"] == version_url(second)
    assert second.status == VersionStatus.READY
    page = client_for(team.partner).get(version_url(second)).content.decode()
    assert "New text." in page
    assert "We shortened it." in page
    assert "What changed since version 1" in page
    # The document's own page opens its newest version.
    detail = client_for(team.partner).get(
        reverse("document_detail", args=[team.study.pk, first.document_id])
    )
    assert detail["Location"] == version_url(second)


def test_the_document_list_shows_the_studys_documents_only(team: StudyTeam) -> None:
    ready_version(study=team.study, by=team.coordinator, title="Consent form for walkers")
    MembershipFactory(study=team.other_study, user=team.coordinator)
    ready_version(study=team.other_study, by=team.coordinator, title="Another study's sheet")
    page = client_for(team.partner).get(reverse("document_list", args=[team.study.pk]))
    content = page.content.decode()
    assert "Consent form for walkers" in content
    assert "Another study&#x27;s sheet" not in content
    assert "Another study's sheet" not in content


def test_a_partner_is_not_offered_the_upload_link(team: StudyTeam) -> None:
    url = reverse("document_list", args=[team.study.pk])
    new = reverse("document_new", args=[team.study.pk])
    assert new not in client_for(team.partner).get(url).content.decode()
    assert new in client_for(team.researcher).get(url).content.decode()


# --- what changed ----------------------------------------------------------------------


def test_the_changes_page_marks_insertions_and_deletions_and_escapes_typed_markup(
    team: StudyTeam,
) -> None:
    first = ready_version(
        study=team.study,
        by=team.coordinator,
        paragraphs=["# Sheet", "The study lasts six weeks.", "This paragraph goes away soon."],
    )
    second = ready_version(
        study=team.study,
        by=team.coordinator,
        document=first.document,
        paragraphs=[
            "# Sheet",
            "The study lasts eight weeks.",
            "Type <script>alert('x')</script> to see it escaped.",
        ],
    )
    response = client_for(team.partner).get(version_url(second, "version_changes"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "What changed from version 1 to version 2" in content
    assert "The study lasts<del> six</del><ins> eight</ins> weeks." in content
    assert "<del>This paragraph goes away soon.</del>" in content
    assert "<ins>Type &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; to see it" in content
    assert "<script>alert" not in content


def test_the_changes_page_of_a_first_version_says_there_is_nothing_to_compare(
    team: StudyTeam,
) -> None:
    version = ready_version(study=team.study, by=team.coordinator)
    content = client_for(team.partner).get(version_url(version, "version_changes")).content
    assert b"nothing to compare it with" in content


# --- a long document with many comments is served in a fixed number of queries ---------


def build_busy_version(team: StudyTeam, n_blocks: int, n_threads: int) -> Version:
    """A document whose second version has threads, replies, answers, drafts and placements.

    The threads are shared between the version itself and the one before it (whose open
    threads are placed into the second), so every way a thread reaches the page is used.
    """
    second_partner = MembershipFactory(study=team.study).user
    document = Document.objects.create(
        study=team.study, title="Big protocol", kind=DocumentKind.PROTOCOL
    )
    first = constructed_version(document, n_blocks, by=team.coordinator, number=1)
    second = constructed_version(document, n_blocks, by=team.coordinator, number=2)
    now = timezone.now()
    review_round = ReviewRound.objects.create(
        version=second, opens_at=now - dt.timedelta(days=1), deadline=now + dt.timedelta(days=7)
    )
    Assignment.objects.bulk_create(
        [
            Assignment(round=review_round, partner=team.partner, state=AssignmentState.IN_PROGRESS),
            Assignment(round=review_round, partner=second_partner),
        ]
    )
    authors = [team.partner, second_partner, team.researcher]
    threads = []
    for i in range(n_threads):
        on = first if i % 4 == 0 else second
        block = f"b{i % n_blocks + 1}"
        exact = "something" if i % 2 else ""
        text = "Paragraph 1 says something about taking part."
        selectors = (
            [
                {"type": "TextQuoteSelector", "exact": exact, "prefix": "", "suffix": ""},
                {
                    "type": "TextPositionSelector",
                    "start": text.index(exact),
                    "end": text.index(exact) + len(exact),
                },
            ]
            if exact
            else []
        )
        threads.append(
            Comment(
                version=on,
                round=review_round if on == second else None,
                author=authors[i % 3],
                body=f"Comment number {i}",
                block_id=block if i % 5 else "",
                selectors=selectors if i % 5 else [],
                quote=exact if i % 5 else "",
                visibility=Visibility.TEAM if i % 7 == 0 else Visibility.MEMBERS,
            )
        )
    threads = Comment.objects.bulk_create(threads)
    Comment.objects.bulk_create(
        Comment(
            version=thread.version,
            parent=thread,
            author=authors[(i + 1) % 3],
            body=f"Reply to {i}",
            block_id=thread.block_id,
            visibility=thread.visibility,
        )
        for i, thread in enumerate(threads)
        if i % 2 == 0
    )
    later = constructed_version(document, 1, by=team.coordinator, number=3)
    Response.objects.bulk_create(
        Response(
            comment=thread,
            outcome=Outcome.CHANGED if i % 2 else Outcome.NO_CHANGE_NEEDED,
            body=f"We did {i}",
            changed_in=later if i % 2 else None,
            author=team.researcher,
            published_at=now if i % 3 else None,
        )
        for i, thread in enumerate(threads)
        if i % 3 != 2
    )
    CommentPlacement.objects.bulk_create(
        CommentPlacement(
            comment=thread,
            version=second,
            block_id="" if i % 8 == 0 else thread.block_id,
            selectors=[],
            method="unplaced" if i % 8 == 0 else "exact",
            confidence=0.0 if i % 8 == 0 else 1.0,
        )
        for i, thread in enumerate(threads)
        if thread.version_id == first.pk
    )
    for user in (team.partner, team.coordinator):
        CommentDraft.objects.bulk_create(
            CommentDraft(author=user, version=second, key=reply_key(thread.pk), body="Half a reply")
            for thread in threads[:20]
        )
    return second


def count_queries(client: Any, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


MAX_QUERIES_FOR_A_VERSION_PAGE = 20


def test_a_long_document_with_many_comments_needs_no_more_queries_than_a_short_one(
    team: StudyTeam, django_assert_max_num_queries: Any
) -> None:
    small = build_busy_version(team, n_blocks=10, n_threads=3)
    big = build_busy_version(team, n_blocks=400, n_threads=300)
    counts = {}
    for user in (team.partner, team.coordinator):
        client = client_for(user)
        client.get("/")  # the session is loaded once, outside the count
        for version in (small, big):
            with django_assert_max_num_queries(MAX_QUERIES_FOR_A_VERSION_PAGE):
                response = client.get(version_url(version))
            assert response.status_code == 200
            counts[(user.pk, version.pk)], content = count_queries(client, version_url(version))
            if version == big:
                # The threads come a page at a time; every page costs the same.
                pages = [content]
                while "Next comments" in pages[-1] and len(pages) < 50:
                    url = f"{version_url(version)}?page={len(pages) + 1}"
                    pages.append(client.get(url).content.decode())
                # Every page costs the same, seen before (the page opening an unsent reply
                # in its form, as the first load does, reads that one conversation too).
                client.get(f"{version_url(version)}?page=1")
                first_page, _content = count_queries(client, f"{version_url(version)}?page=1")
                later_page, _content = count_queries(client, f"{version_url(version)}?page=3")
                assert later_page == first_page <= counts[(user.pk, version.pk)] <= first_page + 1
                assert len(pages) > 5
                assert all(page.count('class="card mb-3 thread"') <= 20 for page in pages)
                content = "".join(pages)
                assert "Comment number 299" in content
                assert "Reply to 2" in content
                assert "We did 1" in content
                assert "From earlier versions" in content
    # Not merely under the bound: exactly the same work whatever the size.
    for user in (team.partner, team.coordinator):
        assert counts[(user.pk, small.pk)] == counts[(user.pk, big.pk)], counts


def test_an_oversized_upload_is_refused_before_it_is_read(team, settings):
    from django.test import Client

    from documents.models import Document

    settings.DOCUMENT_MAX_BYTES = 1024
    client = Client()
    client.force_login(team.coordinator)
    big = b"x" * (2 * 1024 * 1024 + 10)
    response = client.generic(
        "POST",
        f"/studies/{team.study.pk}/documents/new/",
        data=big,
        content_type="multipart/form-data; boundary=nothing",
    )
    assert response.status_code == 413
    assert "The file is too large" in response.content.decode()
    assert not Document.objects.exists()
