"""The database or Redis going away: a plain "try again" page (503), no traceback, and
nothing half saved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from documents.models import Assignment, AssignmentState, Comment
from documents.services import comments as comment_services
from tests.conftest import StudyTeam
from tests.documents.builders import open_round, ready_version
from tests.ops.outages import dead_redis_cache, take_database_away

__all__ = ["take_database_away"]


def client_of(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def assert_try_again_page(response: Any) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    text = response.content.decode()
    assert "The portal is not available just now" in text
    assert "try again in a few minutes" in text
    for leak in ("Traceback", "OperationalError", "ConnectionError", "127.0.0.1", 'File "'):
        assert leak not in text


def test_a_page_asked_for_while_the_database_is_gone_says_try_again(
    team: StudyTeam, take_database_away: Callable[[], None]
) -> None:
    client = client_of(team.partner)
    take_database_away()

    response = client.get(reverse("dashboard"))

    assert_try_again_page(response)
    assert '<a href="/">' in response.content.decode()


def test_a_page_asked_for_while_redis_is_gone_says_try_again(db: None, settings: Any) -> None:
    settings.CACHES = dead_redis_cache()
    # The verification page counts tries in the shared cache.
    response = Client(raise_request_exception=False).get(reverse("log_verify"))

    assert_try_again_page(response)
    assert f'<a href="{reverse("log_verify")}">Try again</a>' in response.content.decode()


def test_the_try_again_link_stays_on_this_site(db: None, settings: Any) -> None:
    settings.CACHES = dead_redis_cache()
    response = Client(raise_request_exception=False).get("//elsewhere.example/verify/")
    assert 'href="//elsewhere' not in response.content.decode()


def test_any_other_error_is_still_the_plain_500_page(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr("portal.views.health_report", broken)
    response = Client(raise_request_exception=False).get(reverse("health"))
    assert response.status_code == 500
    assert "Sorry, something went wrong" in response.content.decode()


def cut_the_connection() -> None:
    """The database server drops this process's connection, as when it restarts."""
    if connection.vendor != "postgresql":
        raise OperationalError("disk I/O error")
    pid = connection.connection.info.backend_pid
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_comment_cut_off_by_the_database_going_away_is_not_half_saved(
    transactional_db: None, team: StudyTeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = ready_version(study=team.study, by=team.researcher)
    open_round(version, by=team.coordinator, partners=[team.partner])
    draft_discard = comment_services.draft_discard

    def after_the_comment_is_written(**kwargs: Any) -> None:
        # The comment row and the assignment's change are written, not yet committed.
        cut_the_connection()
        draft_discard(**kwargs)

    monkeypatch.setattr(comment_services, "draft_discard", after_the_comment_is_written)
    client = client_of(team.partner)
    url = reverse(
        "comment_create",
        kwargs={
            "study_id": team.study.pk,
            "document_id": version.document_id,
            "number": version.number,
        },
    )

    response = client.post(url, {"body": "Could this be shorter?", "visibility": "members"})

    assert_try_again_page(response)
    connection.close()
    assert not Comment.objects.exists()
    assert Assignment.objects.get(partner=team.partner).state == AssignmentState.NOT_STARTED
