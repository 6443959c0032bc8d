"""Threads rendered once and reused: a change always shows, and forms keep working."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from documents.services.comments import comment_edit, comment_reply
from documents.services.responses import response_save
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import open_round, ready_version, thread


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
    thread(version, team.partner, "A comment")
    client = client_for(team.partner)
    client.cookies.clear()
    client.force_login(team.partner)
    page = _page(client, version)
    assert "\x00csrf\x00" not in page
    assert 'name="csrfmiddlewaretoken" value=""' not in page
