"""The team's list of comments with no answer yet, linked from the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from documents.models import Comment
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import open_comment


def test_the_dashboard_links_to_the_comments_waiting_oldest_first(team: StudyTeam) -> None:
    older = open_comment(team)
    newer = open_comment(team)
    answered = open_comment(team, answered=True)
    withdrawn = open_comment(team)
    Comment.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(days=9))
    Comment.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())
    url = reverse("comments_unanswered", args=[team.study.pk])
    dashboard = client_for(team.researcher).get(reverse("dashboard")).content.decode()
    assert f'href="{url}"' in dashboard
    page = client_for(team.researcher).get(url).content.decode()
    assert "2 comments are waiting." in page
    first = page.index(f"#thread-{older.pk}")
    second = page.index(f"#thread-{newer.pk}")
    assert first < second
    assert f"#thread-{answered.pk}" not in page
    assert f"#thread-{withdrawn.pk}" not in page
    assert "(1\xa0week, 2\xa0days ago)" in page


def test_with_nothing_waiting_it_says_so(team: StudyTeam) -> None:
    open_comment(team, answered=True)
    page = client_for(team.coordinator).get(reverse("comments_unanswered", args=[team.study.pk]))
    assert "Every comment has an answer." in page.content.decode()


def test_the_list_pages_and_keeps_its_queries_constant(
    team: StudyTeam, django_assert_max_num_queries: Any
) -> None:
    first = open_comment(team)
    for n in range(55):
        Comment.objects.create(
            version=first.version, author=team.partner, body=f"Question {n}", block_id="b1"
        )
    client = client_for(team.researcher)
    url = reverse("comments_unanswered", args=[team.study.pk])
    with django_assert_max_num_queries(12):
        page_one = client.get(url).content.decode()
    assert "Page 1 of 2" in page_one
    page_two = client.get(url, {"page": 2}).content.decode()
    assert page_two.count("#thread-") == 6
