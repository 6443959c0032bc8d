"""A document's threads are kept in the cache under its ``threads_stamp``, which the database
itself renews on every change the threads show, however it is made: so a reload shows a
change made by a service, a bulk update, the admin or a restore alike, and a page seen before
reads no thread from the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from documents.models import Comment, CommentPlacement, Document, Outcome, Response, Version
from portal.accounts.models import User
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import ready_version, thread
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def stamp(version: Version) -> str:
    return Document.objects.values_list("threads_stamp", flat=True).get(pk=version.document_id)


def page(user: User, version: Version, query: str = "") -> str:
    url = reverse(
        "version_detail", args=[version.document.study_id, version.document_id, version.number]
    )
    response = client_for(user).get(url + query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def version(team: StudyTeam) -> Version:
    return ready_version(study=team.study, by=team.coordinator, paragraphs=["# A", "Hello."])


@pytest.fixture
def comment(team: StudyTeam, version: Version) -> Comment:
    return thread(version, team.partner, "First wording")


def _reply(team: StudyTeam, comment: Comment) -> None:
    Comment.objects.bulk_create(
        [Comment(version=comment.version, parent=comment, author=team.researcher, body="Bulk")]
    )


def _answer(team: StudyTeam, comment: Comment) -> None:
    Response.objects.create(
        comment=comment, outcome=Outcome.CHANGED, body="We did the thing", author=team.researcher
    )


def _publish(team: StudyTeam, comment: Comment) -> None:
    _answer(team, comment)
    before = stamp(comment.version)
    Response.objects.filter(comment=comment).update(published_at=timezone.now())
    assert stamp(comment.version) != before


def _carry(team: StudyTeam, comment: Comment) -> None:
    later = Version.objects.create(
        document=comment.version.document, number=2, uploaded_by=team.coordinator
    )
    CommentPlacement.objects.create(comment=comment, version=later, method="unplaced", confidence=0)


CHANGES: dict[str, Callable[[StudyTeam, Comment], Any]] = {
    "edited in bulk": lambda team, c: Comment.objects.filter(pk=c.pk).update(body="Second"),
    "withdrawn": lambda team, c: Comment.objects.filter(pk=c.pk).update(
        withdrawn_at=timezone.now()
    ),
    "state changed": lambda team, c: Comment.objects.filter(pk=c.pk).update(state="resolved"),
    "replied in bulk": _reply,
    "answered": _answer,
    "answer published": _publish,
    "carried into a new version": _carry,
    "deleted": lambda team, c: c.delete(),
    "writer renamed": lambda team, c: User.objects.filter(pk=c.author_id).update(
        display_name="Linda D"
    ),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_every_kind_of_change_renews_the_stamp(
    team: StudyTeam, comment: Comment, change: str
) -> None:
    before = stamp(comment.version)
    assert before  # set when the comment was made
    CHANGES[change](team, comment)
    assert stamp(comment.version) != before


def test_what_threads_do_not_show_leaves_the_stamp_alone(team: StudyTeam, comment: Comment) -> None:
    before = stamp(comment.version)
    other = ready_version(study=team.study, by=team.coordinator, paragraphs=["Other."])
    thread(other, team.partner, "On another document")
    User.objects.filter(pk=team.partner.pk).update(last_login=timezone.now())
    team.partner.save()  # every column written, none changed
    assert stamp(comment.version) == before
    assert stamp(other) != before


def test_a_change_made_behind_the_services_back_shows_on_the_next_load(
    team: StudyTeam, version: Version, comment: Comment
) -> None:
    assert "First wording" in page(team.partner, version)
    Comment.objects.filter(pk=comment.pk).update(body="Changed in bulk")
    _reply(team, comment)
    User.objects.filter(pk=team.partner.pk).update(display_name="Linda Renamed")

    shown = page(team.partner, version)

    assert "Changed in bulk" in shown
    assert "First wording" not in shown
    assert "Bulk" in shown
    assert "Linda Renamed" in shown


def test_a_page_seen_before_reads_no_thread_from_the_database(
    team: StudyTeam, version: Version, comment: Comment
) -> None:
    client = client_for(team.partner)
    url = reverse("version_detail", args=[team.study.pk, version.document_id, version.number])
    assert "First wording" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert "First wording" in again.content.decode()
    read = [q["sql"] for q in queries.captured_queries if "documents_comment" in q["sql"]]
    # Drafts are the reader's own and read each time; no thread is.
    assert [sql for sql in read if "documents_commentdraft" not in sql] == []


def test_each_reader_keeps_their_own_set_of_threads(team: StudyTeam, version: Version) -> None:
    thread(version, team.partner, "Only for the team, by the partner", visibility="team")
    thread(version, team.researcher, "Only for the team, by the researcher", visibility="team")
    assert "by the researcher" in page(team.coordinator, version)
    partner_page = page(team.partner, version)
    assert "by the partner" in partner_page
    assert "by the researcher" not in partner_page
    someone = MembershipFactory(study=team.study, role=Role.PARTNER).user
    seen = page(someone, version)
    assert "by the partner" not in seen
    assert "by the researcher" not in seen


def test_an_unpublished_answer_kept_for_the_team_is_not_shown_to_partners(
    team: StudyTeam, version: Version, comment: Comment
) -> None:
    _answer(team, comment)
    assert "We did the thing" in page(team.coordinator, version)
    assert "We did the thing" not in page(team.partner, version)


def _trigger_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall() if "_threads" in row[0]}


def test_the_triggers_are_made_again_after_each_migrate_and_keep_working(
    team: StudyTeam, comment: Comment
) -> None:
    from documents.stamps import threads_triggers_create, threads_triggers_drop

    made = _trigger_names()
    assert {name.split("_threads")[0] for name in made} == {
        "documents_comment",
        "documents_commentplacement",
        "documents_response",
        "accounts_user",
    }
    # As around a migrate: dropped before, made again after, every stamp renewed.
    before = stamp(comment.version)
    threads_triggers_drop(connection)
    assert _trigger_names() == set()
    Comment.objects.filter(pk=comment.pk).update(body="Changed while migrating")
    assert stamp(comment.version) == before
    threads_triggers_create(connection)
    threads_triggers_create(connection)  # making them twice is harmless
    assert _trigger_names() == made
    renewed = stamp(comment.version)
    assert renewed != before
    Comment.objects.filter(pk=comment.pk).update(body="Changed again")
    assert stamp(comment.version) != renewed
