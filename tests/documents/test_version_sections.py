"""A long version is shown a section at a time, with a contents list; its comments are
counted, marked and reached across sections."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import html as lxml_html

from documents.models import Version
from documents.selectors import page_part
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import ready_version, thread

pytestmark = pytest.mark.django_db


def long_paragraphs(chapters: int = 6, per_chapter: int = 12) -> list[str]:
    out = []
    for chapter in range(1, chapters + 1):
        out.append(f"## Chapter {chapter} heading")
        out += [
            f"Chapter {chapter} paragraph {n} tells people what happens next in plain words."
            for n in range(1, per_chapter + 1)
        ]
    return out


@pytest.fixture
def long_version(team: StudyTeam, settings: Any) -> Version:
    settings.VERSION_SECTION_BLOCKS = 20
    settings.VERSION_SECTION_CHARACTERS = 100_000
    return ready_version(study=team.study, by=team.coordinator, paragraphs=long_paragraphs())


def page(user: Any, version: Version, query: str = "") -> lxml_html.HtmlElement:
    url = reverse(
        "version_detail", args=[version.document.study_id, version.document_id, version.number]
    )
    response = client_for(user).get(url + query)
    assert response.status_code == 200
    return lxml_html.fromstring(response.content.decode())


def block_of(version: Version, text: str) -> tuple[str, int]:
    for index, block in enumerate(version.blocks, 1):
        if block["text"].startswith(text):
            return block["id"], index
    raise AssertionError(text)


def shown_text(root: lxml_html.HtmlElement) -> str:
    return root.cssselect("[data-document]")[0].text_content()


def test_a_long_version_is_divided_at_headings_into_parts_that_make_the_whole(
    long_version: Version,
) -> None:
    sections = long_version.sections
    assert len(sections) >= 3
    # Together they are the whole page, in order, with no block left out or shown twice.
    assert "".join(long_version.html[s["start"] : s["end"]] for s in sections) == (
        long_version.html
    )
    assert sections[0]["first"] == 1
    assert sections[-1]["last"] == len(long_version.blocks)
    for before, after in pairwise(sections):
        assert after["first"] == before["last"] + 1
        assert after["start"] == before["end"]
    # A new part starts at a heading, which names it.
    assert all(s["title"].startswith("Chapter") for s in sections)
    assert all(long_version.html[s["start"] :].startswith("<h") for s in sections[1:])


def test_the_page_shows_one_part_with_a_contents_list(
    team: StudyTeam, long_version: Version
) -> None:
    first = page(team.partner, long_version)
    text = shown_text(first)
    assert "Chapter 1 paragraph 1 " in text
    assert "Chapter 6 paragraph 12" not in text
    contents = first.cssselect("nav[aria-label='Parts of the document'] li")
    assert len(contents) == len(long_version.sections)
    assert contents[0].cssselect("[aria-current='page']")
    assert contents[1].cssselect("a")[0].get("href") == "?section=2#document-text"
    assert first.cssselect("a[href='?section=2#document-text']")

    last = page(team.partner, long_version, f"?section={len(long_version.sections)}")
    assert "Chapter 6 paragraph 12" in shown_text(last)
    assert "Chapter 1 paragraph 1 " not in shown_text(last)
    # Nonsense asks for the first part, never an error.
    for query in ("?section=0", "?section=99", "?section=x", "?section=-1"):
        assert "Chapter 1 paragraph 1 " in shown_text(page(team.partner, long_version, query))


def test_commenting_on_or_being_sent_to_a_block_opens_its_part(
    team: StudyTeam, long_version: Version
) -> None:
    block_id, index = block_of(long_version, "Chapter 5 paragraph 3")
    wanted = next(
        n for n, s in enumerate(long_version.sections, 1) if s["first"] <= index <= s["last"]
    )
    assert wanted > 1
    root = page(team.partner, long_version, f"?block={block_id}")
    assert root.cssselect(f"[data-document] #{block_id}")
    comment = thread(long_version, team.partner, "Far down", block_id=block_id, exact="plain words")
    by_thread = page(team.partner, long_version, f"?thread={comment.pk}")
    assert by_thread.cssselect(f"[data-document] #passage-{comment.pk}")
    by_count = page(team.partner, long_version, f"?on={block_id}")
    assert by_count.cssselect(
        f"[data-document] a.block-count[href='?on={block_id}#comments-heading']"
    )


def test_a_comment_in_another_part_links_to_its_part(
    team: StudyTeam, long_version: Version
) -> None:
    block_id, index = block_of(long_version, "Chapter 6 paragraph 2")
    wanted = next(
        n for n, s in enumerate(long_version.sections, 1) if s["first"] <= index <= s["last"]
    )
    comment = thread(long_version, team.partner, "At the end", block_id=block_id, exact="plain")
    first = page(team.partner, long_version, "?section=1")
    link = first.cssselect(f"#thread-{comment.pk} a[href='?section={wanted}#passage-{comment.pk}']")
    assert len(link) == 1
    # Counted and marked only where it is shown.
    assert not first.cssselect("a.block-count")
    assert not first.cssselect("mark.passage")
    there = page(team.partner, long_version, f"?section={wanted}")
    assert there.cssselect(f"#passage-{comment.pk}")
    assert there.cssselect(f"#thread-{comment.pk} a[href='#passage-{comment.pk}']")


def test_a_part_is_read_from_the_database_without_the_whole_page(
    team: StudyTeam, long_version: Version, settings: Any, django_assert_num_queries: Any
) -> None:
    from documents.access import version_for_page
    from engagement.access import StudyAccess
    from engagement.models import Membership

    access = StudyAccess(
        study=team.study, membership=Membership.objects.get(user=team.partner, study=team.study)
    )
    shown = version_for_page(access, long_version.document_id, long_version.number)
    assert "html" in shown.get_deferred_fields()
    # The page is not read with the version: each part is read alone, when it is shown.
    for section in long_version.sections:
        expected = long_version.html[section["start"] : section["end"]]
        with django_assert_num_queries(1):
            assert page_part(shown, section) == expected
    short = ready_version(study=team.study, by=team.coordinator, paragraphs=["Just this."])
    shown = version_for_page(access, short.document_id, short.number)
    with django_assert_num_queries(1):
        assert page_part(shown, None) == short.html


@pytest.mark.parametrize("commented", [False, True])
def test_a_page_seen_before_is_not_read_again(
    team: StudyTeam, long_version: Version, commented: bool
) -> None:
    """The marked page is kept, so a second view reads neither the version's page HTML nor
    any of its parts, with or without comments on it."""
    if commented:
        thread(long_version, team.partner, "Too long.", block_id=long_version.blocks[3]["id"])
    client = client_for(team.partner)
    url = reverse(
        "version_detail",
        args=[team.study.pk, long_version.document_id, long_version.number],
    )
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert again.status_code == 200
    assert 'data-block="' in again.content.decode()
    reads = [q["sql"] for q in queries.captured_queries if '"documents_version"."html"' in q["sql"]]
    assert reads == []


def test_no_part_is_much_longer_than_the_limit_even_without_headings(
    team: StudyTeam, settings: Any
) -> None:
    settings.VERSION_SECTION_BLOCKS = 1_000
    settings.VERSION_SECTION_CHARACTERS = 4_000
    version = ready_version(
        study=team.study,
        by=team.coordinator,
        paragraphs=[f"Paragraph {n} has some words in it for the reader." for n in range(120)],
    )
    sections = version.sections
    assert len(sections) > 3
    # A part ends before the block that would take it past the limit (its control follows).
    assert all(s["end"] - s["start"] <= 4_000 + 400 for s in sections)
    assert sections[1]["title"].startswith("Paragraph ")


def test_what_changed_is_worked_out_when_the_version_is_prepared_and_paged(
    team: StudyTeam, settings: Any, monkeypatch: Any
) -> None:
    import documents.selectors
    import documents.views.versions

    first = ready_version(study=team.study, by=team.coordinator, paragraphs=long_paragraphs())
    edited = [
        text.replace("plain words", "simple words") if "paragraph 3 " in text else text
        for text in long_paragraphs()
    ]
    second = ready_version(
        study=team.study, by=team.coordinator, paragraphs=edited, document=first.document
    )
    monkeypatch.setattr(documents.views.versions, "CHANGES_PER_PAGE", 30)
    calls = []
    real = documents.selectors.diff_versions
    monkeypatch.setattr(
        documents.selectors, "diff_versions", lambda *a: calls.append(1) or real(*a)
    )
    url = reverse("version_changes", args=[team.study.pk, first.document_id, second.number])
    client = client_for(team.partner)

    whole = lxml_html.fromstring(client.get(url).content.decode())
    assert len(whole.cssselect("ol.diff > li")) == 30
    assert "Page 1 of 3" in whole.text_content()
    assert "6 changed, 0 added, 0 removed, 72 unchanged." in whole.text_content()

    only = lxml_html.fromstring(client.get(url + "?only=changes").content.decode())
    rows = only.cssselect("ol.diff > li")
    assert len(rows) == 6
    assert all(row.get("class").startswith("diff-changed") for row in rows)
    assert all("simple" in row.text_content() for row in rows)
    last = client.get(url + "?page=3").content.decode()
    assert "Chapter 6 paragraph 12" in last
    # Worked out once, when the second version was prepared: the pages never work it out.
    assert calls == [], "the changes were worked out again"
