"""Where the comments are: passages marked in the document, counts per block, one page of
threads at a time with the one reply form, and links that find a thread wherever it is."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from lxml import html as lxml_html

from documents.blocks import Block
from documents.highlights import Passage, _mark
from documents.models import Version
from documents.rendition import controls_refresh, page_html
from documents.services.comments import comment_withdraw, draft_save, reply_key
from documents.views.versions import THREADS_PER_PAGE
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import block_id_of, open_round, ready_version, thread

pytestmark = pytest.mark.django_db

PARAGRAPHS = [
    "You do not have to take part. If you *do take part*, you can stop at any time.",
    "We will ask about sleep, work and family over 12 weeks.",
    "- Your answers are kept private.\n- Only the research team sees your name.",
]


@pytest.fixture
def version(team: StudyTeam) -> Version:
    return ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)


def page_of(user: Any, version: Version, query: str = "") -> lxml_html.HtmlElement:
    url = reverse(
        "version_detail",
        kwargs={
            "study_id": version.document.study_id,
            "document_id": version.document_id,
            "number": version.number,
        },
    )
    response = client_for(user).get(url + query)
    assert response.status_code == 200
    return lxml_html.fromstring(response.content.decode())


def document_of(page: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    return page.cssselect("[data-document]")[0]


def marked_text(page: lxml_html.HtmlElement, thread_id: int) -> str:
    return "".join(
        mark.text_content()
        for mark in document_of(page).cssselect("mark.passage")
        if str(thread_id) in mark.get("data-threads", "").split()
    )


def test_a_commented_passage_is_marked_where_it_is_and_the_comment_links_to_it(
    team: StudyTeam, version: Version
) -> None:
    block = block_id_of(version, "You do not have to take part")
    comment = thread(version, team.partner, "Why?", block_id=block, exact="take part, you can stop")
    page = page_of(team.researcher, version)

    # The passage crosses the emphasis: marked in pieces, which read as the quote.
    assert marked_text(page, comment.pk) == "take part, you can stop"
    first = document_of(page).get_element_by_id(f"passage-{comment.pk}")
    assert first.tag == "mark"
    assert first.getparent().get("data-block") == block or first.getparent().tag == "em"
    link = page.cssselect(f"#thread-{comment.pk} a[href='#passage-{comment.pk}']")
    assert len(link) == 1
    assert link[0].text_content() == "On the passage:"


def test_marks_add_no_words_to_the_document(team: StudyTeam, version: Version) -> None:
    before = document_of(page_of(team.partner, version)).text_content()
    block = block_id_of(version, "We will ask about sleep")
    thread(version, team.partner, "One", block_id=block, exact="sleep, work")
    thread(version, team.researcher, "Two", block_id=block, exact="work and family")
    thread(version, team.partner, "Three", block_id=block)
    page = page_of(team.partner, version)
    assert document_of(page).text_content() == before
    # Nor do the controls: a list item's text is found once, never again in its control.
    assert before.count("Only the research team sees your name.") == 1


def test_overlapping_passages_share_the_words_they_both_cover(
    team: StudyTeam, version: Version
) -> None:
    block = block_id_of(version, "We will ask about sleep")
    one = thread(version, team.partner, "One", block_id=block, exact="sleep, work")
    two = thread(version, team.researcher, "Two", block_id=block, exact="work and family")
    page = page_of(team.partner, version)
    assert marked_text(page, one.pk) == "sleep, work"
    assert marked_text(page, two.pk) == "work and family"
    shared = [m for m in document_of(page).cssselect("mark.passage") if m.text == "work"]
    assert len(shared) == 1
    assert set(shared[0].get("data-threads").split()) == {str(one.pk), str(two.pk)}


def test_each_block_shows_how_many_comments_it_has_and_the_count_lists_them(
    team: StudyTeam, version: Version
) -> None:
    block = block_id_of(version, "We will ask about sleep")
    other = block_id_of(version, "You do not have to take part")
    ids = {thread(version, team.partner, f"On it {n}", block_id=block).pk for n in range(3)}
    elsewhere = thread(version, team.partner, "Elsewhere", block_id=other)
    page = page_of(team.partner, version)
    count = page.cssselect(f"a.block-count[href='?on={block}#comments-heading']")
    assert len(count) == 1
    assert count[0].get("data-label") == "3 comments"
    assert count[0].get("aria-label") == (
        "3 comments on this paragraph: We will ask about sleep, work…"
    )
    assert count[0].text_content() == ""
    assert page.cssselect(f"a.block-count[href='?on={other}#comments-heading']")[0].get(
        "data-label"
    ) == ("1 comment")

    listed = page_of(team.partner, version, f"?on={block}")
    shown = {int(a.get("id").removeprefix("thread-")) for a in listed.cssselect("article.thread")}
    assert shown == ids
    assert elsewhere.pk not in shown
    assert "Showing the 3 comments on the paragraph starting" in listed.text_content()
    assert listed.cssselect("a[href='?#comments-heading']")[0].text_content() == "Show all comments"


def test_a_paragraph_comment_names_the_paragraph_by_its_first_words(
    team: StudyTeam, version: Version
) -> None:
    block = block_id_of(version, "We will ask about sleep")
    comment = thread(version, team.partner, "Twelve weeks is long.", block_id=block)
    page = page_of(team.partner, version)
    where = page.cssselect(f"#thread-{comment.pk} a[href='#{block}']")[0].getparent()
    assert where.text_content() == "On the paragraph: We will ask about sleep, work and family…"


def test_a_reader_sees_marks_only_for_comments_they_may_see(
    team: StudyTeam, version: Version
) -> None:
    block = block_id_of(version, "We will ask about sleep")
    team_only = thread(
        version, team.researcher, "Internal", block_id=block, exact="12 weeks", visibility="team"
    )
    page = page_of(team.partner, version)
    assert not page.cssselect(f"#passage-{team_only.pk}")
    assert not page.cssselect("a.block-count")
    assert marked_text(page_of(team.coordinator, version), team_only.pk) == "12 weeks"


def test_an_independent_review_hides_other_partners_marks_and_counts(
    team: StudyTeam, version: Version
) -> None:
    from tests.factories import MembershipFactory

    other = MembershipFactory(study=team.study, role="partner").user
    review = open_round(version, by=team.coordinator, independent=True)
    block = block_id_of(version, "We will ask about sleep")
    theirs = thread(version, other, "Mine", block_id=block, exact="sleep", review_round=review)
    page = page_of(team.partner, version)
    assert not page.cssselect(f"#passage-{theirs.pk}")
    assert not page.cssselect("a.block-count")
    assert "Mine" not in page.text_content()


def test_a_withdrawn_comment_is_counted_but_not_marked(team: StudyTeam, version: Version) -> None:
    block = block_id_of(version, "We will ask about sleep")
    comment = thread(version, team.partner, "Never mind", block_id=block, exact="12 weeks")
    comment_withdraw(comment=comment, author=team.partner)
    page = page_of(team.partner, version)
    assert not page.cssselect("mark.passage")
    assert page.cssselect("a.block-count")[0].get("data-label") == "1 comment"
    assert page.cssselect(f"#thread-{comment.pk} a[href='#{block}']")


def test_threads_come_a_page_at_a_time_and_a_link_finds_the_page_of_its_thread(
    team: StudyTeam, version: Version
) -> None:
    block = block_id_of(version, "We will ask about sleep")
    threads = [
        thread(version, team.partner, f"Comment {n}", block_id=block)
        for n in range(THREADS_PER_PAGE + 5)
    ]
    first = page_of(team.partner, version)
    assert len(first.cssselect("article.thread")) == THREADS_PER_PAGE
    assert f"{THREADS_PER_PAGE + 5} comments" in first.cssselect("#comments-heading")[0].text
    nav = first.cssselect("nav[aria-label='Pages of comments']")[0]
    assert nav.cssselect("a")[-1].text_content() == "Next comments"

    last = threads[-1]
    found = page_of(team.partner, version, f"?thread={last.pk}")
    assert found.cssselect(f"#thread-{last.pk}")
    assert found.cssselect(".pagination [aria-current='page']")[0].text_content() == "2"
    # Nonsense in the address shows a page of comments (Django's paginator: the first, or the
    # last for a page past the end), never an error.
    for query in ("?page=abc", "?page=-3", "?thread=99999999999999999999", "?on=<b>", "?reply=x"):
        assert page_of(team.partner, version, query).cssselect("article.thread")


def test_the_page_has_one_reply_form_in_the_thread_being_answered(
    team: StudyTeam, version: Version
) -> None:
    one = thread(version, team.researcher, "First question")
    two = thread(version, team.researcher, "Second question")
    page = page_of(team.partner, version)
    assert not page.cssselect("form#reply-form")
    reply_links = page.cssselect("a[data-reply-link]")
    assert {a.get("href") for a in reply_links} == {
        f"?reply={one.pk}#reply-form",
        f"?reply={two.pk}#reply-form",
    }

    opened = page_of(team.partner, version, f"?reply={two.pk}")
    forms = opened.cssselect("form#reply-form")
    assert len(forms) == 1
    assert forms[0].getparent().getparent().get("id") == f"thread-{two.pk}"
    assert forms[0].get("action").endswith(f"/{two.pk}/reply/")
    assert (
        opened.cssselect(f"label[for='reply-{two.pk}']")[0]
        .text_content()
        .startswith("Your reply to")
    )


def test_an_unsent_reply_opens_again_in_its_thread(team: StudyTeam, version: Version) -> None:
    one = thread(version, team.researcher, "First question")
    thread(version, team.researcher, "Second question")
    draft_save(author=team.partner, version=version, key=reply_key(one.pk), body="Half of it")
    page = page_of(team.partner, version)
    form = page.cssselect(f"#thread-{one.pk} form#reply-form")[0]
    assert form.cssselect("textarea")[0].text == "Half of it"
    link = page.cssselect(f"#thread-{one.pk} a[data-reply-link]")[0]
    assert link.text_content().startswith("Continue your unsent reply")


def test_long_threads_fold_their_earlier_replies(team: StudyTeam, version: Version) -> None:
    from documents.services.comments import comment_reply

    conversation = thread(version, team.researcher, "Let us talk")
    for n in range(6):
        comment_reply(thread=conversation, author=team.partner, body=f"Reply number {n}")
    page = page_of(team.partner, version)
    folded = page.cssselect(f"#thread-{conversation.pk} details.earlier-replies")[0]
    assert folded.cssselect("summary")[0].text_content() == "4 earlier replies"
    assert "Reply number 0" in folded.text_content()
    assert "Reply number 5" not in folded.text_content()
    assert "Reply number 5" in page.cssselect(f"#thread-{conversation.pk}")[0].text_content()


def test_links_to_a_conversation_name_it_so_that_its_page_is_found(team: StudyTeam) -> None:
    from documents.links import thread_address

    assert (
        thread_address("/studies/1/documents/2/versions/3/?page=4&on=b2&x=1", 77)
        == "/studies/1/documents/2/versions/3/?x=1&thread=77#thread-77"
    )


def test_a_stored_page_gets_controls_with_no_words_of_their_own() -> None:
    blocks = [Block("b1", "p", "Hello there, partner.", ""), Block("b2", "li", "An item.", "")]
    rendition = (
        '<p id="b1" data-block="b1">Hello there, partner.</p>'
        '<ul><li id="b2" data-block="b2">An item.</li></ul>'
    )
    old_style = (
        '<p id="b1" data-block="b1">Hello there, partner.</p><div class="block-tools">'
        '<a class="block-comment" href="?block=b1#comment-form" data-comment-block="b1">'
        'Comment on this paragraph<span class="visually-hidden">: Hello there, partner.</span>'
        '</a></div><ul><li id="b2" data-block="b2">An item.<a class="block-comment" '
        'href="?block=b2#comment-form" data-comment-block="b2">Comment on this list item'
        '<span class="visually-hidden">: An item.</span></a></li></ul>'
    )
    refreshed, sections = controls_refresh(old_style, blocks)
    assert sections == []
    assert refreshed == page_html(rendition, blocks).replace("<h2", "<h1")
    root = lxml_html.fragment_fromstring(refreshed, create_parent="div")
    assert root.text_content() == "Hello there, partner.An item."
    controls = root.cssselect("a.block-comment")
    assert [c.get("aria-label") for c in controls] == [
        "Comment on this paragraph: Hello there, partner.",
        "Comment on this list item: An item.",
    ]
    # Made again, it is the same: the migration may meet a page it already changed.
    assert controls_refresh(refreshed, blocks) == (refreshed, [])


def test_a_hostile_quote_is_marked_as_text() -> None:
    blocks = [Block("b1", "p", "Say <script>alert(1)</script> here & there.", "")]
    stored = page_html(
        '<p id="b1" data-block="b1">'
        "Say &lt;script&gt;alert(1)&lt;/script&gt; here &amp; there.</p>",
        blocks,
    )
    start = blocks[0].text.index("<script>")
    marked = _mark(stored, [Passage(5, "b1", start, start + len("<script>alert(1)</script>"))], {})
    assert "<script>" not in marked
    assert (
        'id="passage-5" data-start="commented passage" data-end="end of commented passage">'
        "&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in marked
    )


def test_a_screen_reader_hears_where_each_passage_starts_and_ends_once(
    team: StudyTeam, version: Version
) -> None:
    block = block_id_of(version, "You do not have to take part")
    comment = thread(version, team.partner, "Why?", block_id=block, exact="take part, you can stop")
    pieces = [
        m
        for m in document_of(page_of(team.partner, version)).cssselect("mark.passage")
        if str(comment.pk) in m.get("data-threads").split()
    ]
    assert len(pieces) > 1  # it crosses the emphasis
    assert [m.get("data-start") for m in pieces] == ["commented passage"] + [None] * (
        len(pieces) - 1
    )
    assert [m.get("data-end") for m in pieces] == [None] * (len(pieces) - 1) + [
        "end of commented passage"
    ]
    assert all(m.text_content().strip() for m in pieces)


def test_no_mark_stands_between_a_lists_items_or_a_tables_rows() -> None:
    from documents.conversion.split import split_blocks

    rendition, blocks = split_blocks(
        "<blockquote><p>Before the list.</p>\n<ul>\n<li>One item</li>\n<li>Two item</li>\n</ul>"
        "\n<table>\n<tr>\n<td>A cell</td>\n</tr>\n</table>\n<p>After it all.</p></blockquote>"
    )
    stored = page_html(rendition, blocks)
    text = blocks[0].text
    marked = _mark(stored, [Passage(9, blocks[0].id, 0, len(text))], {})
    root = lxml_html.fragment_fromstring(marked, create_parent="div")
    for container in root.iter("ul", "ol", "table", "tbody", "tr"):
        assert all(child.tag != "mark" for child in container), lxml_html.tostring(container)
    assert "".join(m.text_content() for m in root.iter("mark")).startswith("Before the list.")
