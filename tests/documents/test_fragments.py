"""Threads rendered once and reused: a change always shows, and forms keep working."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import _does_token_match
from django.urls import reverse

from documents.services.comments import comment_edit, comment_reply
from documents.services.responses import response_save
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import open_round, ready_version, thread

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
        assert "\x00csrf\x00" not in page
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
    assert "\x00path\x00" not in page


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
