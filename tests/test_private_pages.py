"""Pages shown to someone logged in are not kept by the browser or by a cache on the way."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.urls import reverse

from tests.conftest import StudyTeam, client_for

pytestmark = pytest.mark.django_db


def directives(response: HttpResponse) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize("name", ["dashboard", "profile", "my_involvement"])
def test_a_logged_in_page_is_private_and_not_stored(team: StudyTeam, name: str) -> None:
    response = client_for(team.partner).get(reverse(name))
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


def test_a_study_page_for_the_team_is_not_stored_either(team: StudyTeam) -> None:
    response = client_for(team.coordinator).get(reverse("study_detail", args=[team.study.pk]))
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


def test_a_public_page_may_be_kept(team: StudyTeam) -> None:
    response = client_for(None).get(reverse("help_partner"))
    assert response.status_code == 200
    assert "no-store" not in directives(response)


def test_a_refusal_to_a_logged_in_person_is_not_stored(team: StudyTeam) -> None:
    response = client_for(team.partner).get(reverse("member_list", args=[team.study.pk]))
    assert response.status_code == 403
    assert {"private", "no-store"} <= directives(response)


def test_logging_out_empties_the_browsers_cache_of_the_site(team: StudyTeam) -> None:
    client = client_for(team.partner)
    page = client.get(reverse("dashboard"))
    assert not page.has_header("Clear-Site-Data")
    left = client.post(reverse("account_logout"))
    assert left.status_code == 302
    assert left["Clear-Site-Data"] == '"cache"'
    assert {"private", "no-store"} <= directives(left)
    # Nobody logged in, nothing to empty.
    assert not client.post(reverse("account_logout")).has_header("Clear-Site-Data")
