"""The dashboard: each person's studies, by the part they play in them; starting a study."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from engagement.models import Study
from engagement.services import membership_end, study_create
from portal.accounts.models import User
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for, give_totp
from tests.documents.builders import open_comment
from tests.factories import MembershipFactory, StudyFactory, UserFactory

NO_STUDIES = "You are not part of any study yet."
PARTNER_HEADING = "Studies you are involved in"
TEAM_HEADING = "Studies you help run"
START = "Start a new study"


def dashboard(user: User):
    response = client_for(user).get(reverse("dashboard"))
    assert response.status_code == 200
    return response


def text(response) -> str:
    return response.content.decode()


def section(response, heading_id: str) -> str:
    content = text(response)
    marker = f'id="{heading_id}"'
    assert marker in content, f"no section {heading_id}"
    rest = content[content.index(marker) :]
    return rest[: rest.index("</section>")]


def team_row_cells(response, study: Study) -> list[str]:
    table = section(response, "team-studies")
    link = reverse("study_detail", args=[study.pk])
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        if f'href="{link}"' in row:
            return [
                re.sub(r"<[^>]+>", "", c).strip()
                for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            ]
    raise AssertionError(f"{study} is not in the team table")


def team_row(response, study: Study) -> tuple[str, str, str, int, int]:
    """(title, role, status, partners, all members) from the study's row in the team table."""
    table = section(response, "team-studies")
    link = reverse("study_detail", args=[study.pk])
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        if f'href="{link}"' in row:
            cells = [
                re.sub(r"<[^>]+>", "", c).strip()
                for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            ]
            title, role, status, partners, members, _to_answer = cells
            return title, role, status, int(partners), int(members)
    raise AssertionError(f"{study} is not in the team table")


# --- partners ------------------------------------------------------------------------


def test_it_shows_a_partner_their_study_and_not_others(team: StudyTeam) -> None:
    StudyFactory(title="A study nobody here is in")
    response = dashboard(team.partner)
    involved = section(response, "partner-studies")
    assert PARTNER_HEADING in involved
    assert escape(team.study.title) in involved
    assert reverse("study_detail", args=[team.study.pk]) in involved
    assert escape(team.study.lay_summary) in involved
    assert escape(team.other_study.title) not in text(response)
    assert "A study nobody here is in" not in text(response)
    assert TEAM_HEADING not in text(response)
    assert NO_STUDIES not in text(response)


def test_it_shows_a_person_each_study_under_the_part_they_play(team: StudyTeam) -> None:
    MembershipFactory(study=team.other_study, user=team.partner, role=Role.RESEARCHER)
    response = dashboard(team.partner)
    assert escape(team.study.title) in section(response, "partner-studies")
    assert escape(team.other_study.title) not in section(response, "partner-studies")
    assert team_row(response, team.other_study)[1] == "Researcher"


# --- the team ------------------------------------------------------------------------------


def test_it_shows_the_coordinator_the_team_table_with_current_counts(team: StudyTeam) -> None:
    MembershipFactory(study=team.study, role=Role.PARTNER)
    membership_end(membership=MembershipFactory(study=team.study, role=Role.PARTNER))
    membership_end(membership=MembershipFactory(study=team.study, role=Role.RESEARCHER))
    # Members of another study never count here.
    MembershipFactory(study=team.other_study, role=Role.PARTNER)

    response = dashboard(team.coordinator)

    title, role, status, partners, members = team_row(response, team.study)
    assert title == escape(team.study.title)
    assert role == "Coordinator"
    assert status == "Active"
    # Current: coordinator, researcher, two partners. The two who left are not counted.
    assert (partners, members) == (2, 4)
    assert PARTNER_HEADING not in text(response)
    assert escape(team.other_study.title) not in text(response)


def test_it_counts_a_study_with_no_partners_as_zero(team: StudyTeam) -> None:
    study = study_create(
        created_by=team.coordinator, title="Quiet study", lay_summary="None yet.", status="planning"
    )
    _, _, status, partners, members = team_row(dashboard(team.coordinator), study)
    assert (status, partners, members) == ("Planning", 0, 1)


def test_it_explains_the_dashboard_to_someone_in_no_study(db: None) -> None:
    response = dashboard(UserFactory())
    assert NO_STUDIES in text(response)
    assert "When a study team invites you, the study will appear here." in text(response)
    assert PARTNER_HEADING not in text(response)
    assert TEAM_HEADING not in text(response)
    assert START not in text(response)


def test_a_former_member_sees_the_explanation_instead_of_the_study(team: StudyTeam) -> None:
    membership_end(membership=team.partner.memberships.get(study=team.study))
    response = dashboard(team.partner)
    assert NO_STUDIES in text(response)
    assert escape(team.study.title) not in text(response)


# --- starting a study -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["partner", "researcher", "outsider"])
def test_it_hides_start_a_new_study_from_people_who_cannot(team: StudyTeam, role: str) -> None:
    response = dashboard(getattr(team, role))
    assert START not in text(response)
    assert reverse("study_new") not in text(response)


def test_it_offers_start_a_new_study_to_a_coordinator(team: StudyTeam) -> None:
    response = dashboard(team.coordinator)
    assert START in text(response)
    assert f'href="{reverse("study_new")}"' in text(response)


def test_it_offers_start_a_new_study_to_a_ppie_lead_with_no_studies(db: None) -> None:
    lead = UserFactory(can_create_studies=True)
    give_totp(lead)
    response = dashboard(lead)
    assert START in text(response)
    assert NO_STUDIES in text(response)


def test_it_stops_offering_it_to_a_coordinator_who_has_stepped_down(team: StudyTeam) -> None:
    MembershipFactory(study=team.study, role=Role.COORDINATOR)
    membership = team.coordinator.memberships.get(study=team.study)
    membership_end(membership=membership)
    assert START not in text(dashboard(team.coordinator))


def test_it_refuses_a_partner_who_posts_a_new_study(team: StudyTeam) -> None:
    count = Study.objects.count()
    response = client_for(team.partner).post(
        reverse("study_new"),
        {"title": "My own study", "lay_summary": "Sneaky.", "status": "active"},
    )
    assert response.status_code == 403
    assert "You cannot do this" in text(response)
    assert Study.objects.count() == count
    assert not Study.objects.filter(title="My own study").exists()


def test_it_shows_an_error_summary_linking_to_a_missing_title(team: StudyTeam) -> None:
    count = Study.objects.count()
    response = client_for(team.coordinator).post(
        reverse("study_new"), {"title": "", "lay_summary": "About sleep.", "status": "planning"}
    )
    assert response.status_code == 200
    content = text(response)
    assert "There is a problem" in content
    summary = content[
        content.index("error-summary") : content.index("</ul>", content.index("error-summary"))
    ]
    assert 'href="#id_title"' in summary
    assert "Title: This field is required." in summary
    assert 'id="id_title"' in content  # the link has somewhere to go
    assert Study.objects.count() == count
    # What was typed is kept.
    assert "About sleep." in content


# --- queries ---------------------------------------------------------------------------------

# Session, user, two-factor check, memberships with counts, "coordinator anywhere", profile,
# reviews waiting, involvement not sent yet, answers to read, comments to answer per study; and
# for the attention panel (tests/test_dashboard_attention.py): contributions to approve or pay,
# review rounds closing soon, stages with no involvement.
DASHBOARD_MAX_QUERIES = 13


@pytest.mark.parametrize("studies", [2, 12])
def test_the_dashboard_needs_the_same_queries_however_many_studies(
    db: None, django_assert_max_num_queries, studies: int
) -> None:
    person = UserFactory()
    give_totp(person)
    for n in range(studies):
        study = StudyFactory(title=f"Study number {n:02}")
        role = Role.PARTNER if n % 2 else Role.COORDINATOR
        MembershipFactory(study=study, user=person, role=role)
        MembershipFactory(study=study, role=Role.PARTNER)
        MembershipFactory(study=study, role=Role.PARTNER, left_on=timezone.localdate())
    client = client_for(person)
    with django_assert_max_num_queries(DASHBOARD_MAX_QUERIES):
        response = client.get(reverse("dashboard"))
    assert len(response.context["partner_memberships"]) == studies // 2
    assert len(response.context["team_memberships"]) == studies - studies // 2
    assert text(response).count("Study number") == studies


def test_it_lists_a_partners_open_review_and_the_answers_to_their_comments(
    team: StudyTeam,
) -> None:
    comment = open_comment(team, answered=True)
    content = text(dashboard(team.partner))

    assert "Documents waiting for your review" in content
    assert escape(comment.version.document.title) in content
    assert "New answers to your comments" in content
    assert f"#thread-{comment.pk}" in content


def test_it_counts_comments_waiting_for_an_answer_for_the_team(team: StudyTeam) -> None:
    open_comment(team)
    open_comment(team)
    *_, to_answer = team_row_cells(dashboard(team.coordinator), team.study)
    assert to_answer == "2"
