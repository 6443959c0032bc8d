"""Threads rendered once and reused: a change always shows, and forms keep working."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import _does_token_match
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents.services.comments import comment_edit, comment_reply, draft_save, reply_key
from documents.services.responses import response_save
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import open_round, ready_version, thread
from tests.factories import MembershipFactory

THREAD = re.compile(r'<article id="thread-\d+".*?</article>', re.DOTALL)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')


def _threads(page: str) -> str:
    """The threads' HTML in a page, in order."""
    threads = THREAD.findall(page)
    assert threads, "the page shows no thread"
    return "\n".join(threads)


def _thread_tokens(page: str) -> list[str]:
    return CSRF_FIELD.findall(_threads(page))


def _threads_without_tokens(page: str) -> str:
    """The threads' HTML with the one per-request value, the CSRF token, blanked out."""
    return CSRF_FIELD.sub('name="csrfmiddlewaretoken" value="(token)"', _threads(page))


def _page(client: Any, version: Any) -> str:
    url = reverse(
        "version_detail",
        kwargs={
            "study_id": version.document.study_id,
            "document_id": version.document_id,
            "number": version.number,
        },
    )
    return client.get(url).content.decode()


def test_a_changed_comment_reply_or_answer_shows_on_the_next_load(team: StudyTeam) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Hello there."])
    open_round(version, by=team.coordinator)
    comment = thread(version, team.partner, "First wording")
    partner = client_for(team.partner)
    assert "First wording" in _page(partner, version)

    comment_edit(comment=comment, author=team.partner, body="Second wording")
    comment_reply(thread=comment, author=team.researcher, body="A reply from the team")
    response_save(
        thread=comment, author=team.researcher, outcome="changed", body="Done", publish=True
    )
    page = _page(partner, version)

    assert "Second wording" in page
    assert "First wording" not in page
    assert "A reply from the team" in page
    assert "Answered" in page


def test_each_load_carries_its_own_csrf_token_in_the_thread_forms(team: StudyTeam) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Hello there."])
    answered = thread(version, team.partner, "A comment")
    # An answered comment offers its author "I am happy with the answer", a form.
    response_save(
        thread=answered, author=team.researcher, outcome="changed", body="Done", publish=True
    )
    # The first load renders the thread; the second takes it from the kept fragments.
    cache.clear()
    client = client_for(team.partner)
    client.cookies.clear()
    client.force_login(team.partner)
    loads = [_page(client, version), _page(client, version)]
    secret = client.cookies[settings.CSRF_COOKIE_NAME].value

    for page in loads:
        assert "<!--csrf-->" not in page
        assert 'name="csrfmiddlewaretoken" value=""' not in page
        tokens = _thread_tokens(page)
        assert tokens, "the thread's forms carry no CSRF token"
        assert all(_does_token_match(token, secret) for token in tokens), tokens
    first, second = (_thread_tokens(page) for page in loads)
    assert not set(first) & set(second), "the second load reused the first load's token"
    assert _threads_without_tokens(loads[0]) == _threads_without_tokens(loads[1])


def test_one_rendering_serves_every_address_of_the_page_with_its_own_return_path(
    team: StudyTeam,
) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Hello there."])
    answered = thread(version, team.partner, "A comment")
    response_save(
        thread=answered, author=team.researcher, outcome="changed", body="Done", publish=True
    )
    cache.clear()
    client = client_for(team.partner)
    url = reverse("version_detail", args=[team.study.pk, version.document_id, version.number])
    client.get(url)
    kept = len(cache._cache)  # type: ignore[attr-defined]
    page = client.get(url + "?page=1&x=<b>").content.decode()
    # No new rendering for another address; the form returns to the address it was on.
    assert len(cache._cache) == kept  # type: ignore[attr-defined]
    assert f'name="next" value="{url}?page=1&amp;x=%3Cb%3E"' in page
    assert "<!--path-->" not in page


def test_an_edited_reply_says_so_like_an_edited_comment(team: StudyTeam) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Hello there."])
    open_round(version, by=team.coordinator)
    comment = thread(version, team.partner, "A comment")
    reply = comment_reply(thread=comment, author=team.researcher, body="First reply words")
    researcher = client_for(team.researcher)
    assert "Edited" not in _threads(_page(researcher, version))

    comment_edit(comment=reply, author=team.researcher, body="Better reply words")
    shown = _threads(_page(researcher, version))

    assert "Better reply words" in shown
    reply_html = shown[shown.index(f'id="comment-{reply.pk}"') :]
    assert "Edited" in reply_html[: reply_html.index("</li>")]


def test_one_rendering_serves_every_reader_with_their_own_actions_and_unsent_reply(
    team: StudyTeam,
) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Hello there."])
    open_round(version, by=team.coordinator)
    other = MembershipFactory(study=team.study, role=Role.PARTNER).user
    mine = thread(version, team.partner, "My own comment")
    theirs = thread(version, other, "Their comment")
    reply = comment_reply(thread=theirs, author=team.partner, body="My reply to them")
    draft_save(
        author=other, version=version, key=reply_key(mine.pk), body="Half a reply", selectors=None
    )
    cache.clear()
    as_me = _threads(_page(client_for(team.partner), version))
    kept = {key for key in cache._cache if "thread-html" in key}  # type: ignore[attr-defined]
    page_one = reverse("version_detail", args=[team.study.pk, version.document_id, 1]) + "?page=1"
    with CaptureQueriesContext(connection) as queries:
        # (?page= so that their unsent reply does not open its form, which reads its thread.)
        as_other = _threads(client_for(other).get(page_one).content.decode())

    # The second reader's threads were the first reader's rendering: no thread was read.
    assert {key for key in cache._cache if "thread-html" in key} == kept  # type: ignore[attr-defined]
    assert not any('"documents_comment"."body"' in q["sql"] for q in queries.captured_queries)
    for page in (as_me, as_other):
        assert "<!--" not in page
    edit_mine = reverse("comment_edit", args=[team.study.pk, mine.pk])
    edit_theirs = reverse("comment_edit", args=[team.study.pk, theirs.pk])
    edit_reply = reverse("comment_edit", args=[team.study.pk, reply.pk])
    assert edit_mine in as_me
    assert edit_reply in as_me
    assert edit_theirs not in as_me
    assert edit_theirs in as_other
    assert edit_mine not in as_other
    assert edit_reply not in as_other
    # Only the reader with an unsent reply is offered to continue it, in that thread alone.
    assert "Continue your unsent reply" not in as_me
    mine_as_other = as_other[as_other.index(f'id="thread-{mine.pk}"') :]
    assert mine_as_other.index("Continue your unsent reply") < mine_as_other.index("</article>")
    assert as_other.count("Continue your unsent reply") == 1


def test_a_readers_parts_are_chosen_and_no_text_can_forge_a_marker() -> None:
    from documents import fragments
    from portal.jinja import environment

    kept = (
        f"<p>{fragments.mine(7)}Edit yours{fragments.OTHERWISE}Not yours{fragments.END_MINE}"
        f" {fragments.drafted(3)}Continue{fragments.OTHERWISE}Reply{fragments.END_DRAFTED}"
        f" {fragments.mine(8)}Only 8{fragments.END_MINE}{fragments.CSRF_PLACEHOLDER}</p>"
    )
    assert fragments.for_reader(kept, 7, {3}) == "<p>Edit yours Continue <!--csrf--></p>"
    assert fragments.for_reader(kept, 8, set()) == "<p>Not yours Reply Only 8<!--csrf--></p>"
    # A body holding marker-like text is written escaped: it marks nothing.
    template = environment().from_string("<p>{{ body }}{{ body|linebreaks }}</p>")
    written = template.render(body="<!--mine:1-->hidden?<!--/mine-->")
    assert "<!--" not in written
    assert fragments.for_reader(written, 2, set()).count("hidden?") == 2


@pytest.mark.parametrize("fmt", ["j M Y", "j F Y", "l j F Y", "d/m/Y", "j M Y, H:i", "c"])
def test_the_thread_templates_dates_read_as_in_djangos_templates(fmt: str) -> None:
    import datetime as dt

    from django.template import Context, Template
    from django.utils import timezone

    from portal.jinja import date

    # 23:30 UTC on 31 March is already 1 April in London (summer time): local time is shown.
    moment = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
    django_template = Template("{{ moment|date:fmt }}")
    with timezone.override("Europe/London"):
        shown = date(moment, fmt)
        assert shown == django_template.render(Context({"moment": moment, "fmt": fmt}))
    if fmt == "j M Y":
        assert shown == "1 Apr 2026"
