"""The history pages need the same number of queries however much involvement there is."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from engagement.models import Contribution, ContributionState
from engagement.services import study_create
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.engagement.history_data import stages_of
from tests.factories import MembershipFactory

# Session, user, two-factor check, membership (the guard), stages, page count, page rows,
# the sums per partner and stage, the partners, the sums per month and stage.
STUDY_PAGE_MAX_QUERIES = 11
# Session, user, two-factor check, membership (the guard), "is a partner here", the partner,
# the viewer's studies, the studies for the filter, page count, page rows, totals.
PARTNER_PAGE_MAX_QUERIES = 11


def fill(team: StudyTeam, *, partners: int, studies: int, per_partner: int) -> None:
    """Involvement for more partners, in more studies the coordinator runs."""
    all_studies = [team.study] + [
        study_create(
            created_by=team.coordinator, title=f"Study {n}", lay_summary="x", status="active"
        )
        for n in range(studies - 1)
    ]
    people = [team.partner] + [
        MembershipFactory(study=team.study, role=Role.PARTNER).user for _ in range(partners - 1)
    ]
    rows = []
    states = [ContributionState.SUBMITTED, ContributionState.APPROVED, ContributionState.PAID]
    for study in all_studies:
        stages = stages_of(study)
        for person in people:
            if study != team.study:
                MembershipFactory(study=study, user=person, role=Role.PARTNER)
            for n in range(per_partner):
                rows.append(
                    Contribution(
                        study=study,
                        partner=person,
                        stage=stages[n % len(stages)],
                        activity_type="meeting",
                        activity_date=dt.date(2023, 1, 1) + dt.timedelta(days=7 * n),
                        minutes=30 + n,
                        what_they_did="Meeting",
                        state=states[n % 3],
                    )
                )
    Contribution.objects.bulk_create(rows)


@pytest.mark.parametrize(("partners", "studies", "per_partner"), [(1, 1, 2), (12, 4, 30)])
def test_the_study_page_needs_the_same_queries_however_much_involvement(
    team: StudyTeam, django_assert_max_num_queries, partners: int, studies: int, per_partner: int
) -> None:
    fill(team, partners=partners, studies=studies, per_partner=per_partner)
    client = client_for(team.coordinator)
    address = reverse("study_involvement", args=[team.study.pk])
    for query in ("", "?page=2", "?state=approved&date_from=2023-02-01"):
        with django_assert_max_num_queries(STUDY_PAGE_MAX_QUERIES):
            response = client.get(address + query)
        assert response.status_code == 200
    assert len(response.context["table"].rows) == partners


@pytest.mark.parametrize(("partners", "studies", "per_partner"), [(1, 1, 2), (12, 4, 30)])
def test_the_partner_page_needs_the_same_queries_however_much_involvement(
    team: StudyTeam, django_assert_max_num_queries, partners: int, studies: int, per_partner: int
) -> None:
    fill(team, partners=partners, studies=studies, per_partner=per_partner)
    client = client_for(team.coordinator)
    address = reverse("partner_involvement", args=[team.study.pk, team.partner.pk])
    for query in ("", "?page=2", "?activity_type=meeting"):
        with django_assert_max_num_queries(PARTNER_PAGE_MAX_QUERIES):
            response = client.get(address + query)
        assert response.status_code == 200
    assert len(response.context["totals"]) == studies


def test_the_exports_need_the_same_queries_however_many_rows(
    team: StudyTeam, django_assert_max_num_queries
) -> None:
    fill(team, partners=5, studies=2, per_partner=40)
    client = client_for(team.coordinator)
    with django_assert_max_num_queries(STUDY_PAGE_MAX_QUERIES):
        response = client.get(reverse("study_involvement", args=[team.study.pk]) + "?export=csv")
    assert response.content.decode("utf-8-sig").count("\n") == 1 + 5 * 40
