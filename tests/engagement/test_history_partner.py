"""One partner's involvement across the studies the viewer helps run."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.urls import reverse
from django.utils.html import escape

from engagement.models import ContributionState
from engagement.services import membership_end, study_create
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for, give_totp
from tests.engagement.history_data import contribution, section, stages_of, table_rows
from tests.factories import MembershipFactory
from tests.sheets import DATE, Download


def url(team: StudyTeam, user_id: int | None = None) -> str:
    return reverse("partner_involvement", args=[team.study.pk, user_id or team.partner.pk])


def partner_in_three_studies(team: StudyTeam):
    """The partner is in the team's study, a second one the coordinator runs, and a third
    the coordinator is not in."""
    second = study_create(
        created_by=team.coordinator, title="Second study", lay_summary="Two.", status="active"
    )
    MembershipFactory(study=second, user=team.partner, role=Role.PARTNER)
    hidden = study_create(
        created_by=team.researcher, title="Secret study", lay_summary="Not yours.", status="active"
    )
    MembershipFactory(study=hidden, user=team.partner, role=Role.PARTNER)
    first_stages, second_stages = stages_of(team.study), stages_of(second)
    contribution(study=team.study, partner=team.partner, stage=first_stages[0], minutes=60)
    contribution(study=team.study, partner=team.partner, stage=first_stages[3], minutes=30)
    contribution(
        study=second,
        partner=team.partner,
        stage=second_stages[1],
        minutes=120,
        on=dt.date(2024, 11, 5),
        activity="co_analysis",
    )
    contribution(
        study=second,
        partner=team.partner,
        stage=second_stages[1],
        minutes=15,
        state=ContributionState.DRAFT,
    )
    contribution(study=hidden, partner=team.partner, stage=stages_of(hidden)[0], minutes=240)
    return second, hidden


def test_it_shows_the_partners_totals_by_study_and_stage(team: StudyTeam) -> None:
    second, _hidden = partner_in_three_studies(team)
    response = client_for(team.coordinator).get(url(team))
    assert response.status_code == 200
    rows = table_rows(section(response, "totals-heading"))
    stages = stages_of(team.study)
    assert rows[1:] == [
        [f"{team.study.title}: all stages", "2", "1 h 30 min"],
        [f"{stages[0].name} ({team.study.title})", "1", "1 h"],
        [f"{stages[3].name} ({team.study.title})", "1", "30 min"],
        ["Second study: all stages", "1", "2 h"],
        [f"{stages_of(second)[1].name} (Second study)", "1", "2 h"],
        ["All studies", "3", "3 h 30 min"],
    ]
    assert rows[0] == ["Study and stage", "Contributions", "Time"]


def test_it_never_shows_a_study_the_viewer_is_not_in(team: StudyTeam) -> None:
    partner_in_three_studies(team)
    response = client_for(team.coordinator).get(url(team))
    content = response.content.decode()
    assert "Secret study" not in content
    assert response.context["page_obj"].paginator.count == 3
    rows = list(
        csv.reader(
            io.StringIO(
                client_for(team.coordinator)
                .get(url(team) + "?export=csv")
                .content.decode("utf-8-sig")
            )
        )
    )
    assert {row[1] for row in rows[1:]} == {team.study.title, "Second study"}
    # The researcher is in the team's study and coordinates the secret one, not the second.
    give_totp(team.researcher)
    response = client_for(team.researcher).get(url(team))
    content = response.content.decode()
    assert "Second study" not in content
    assert "Secret study" in content


def test_it_filters_by_study_date_activity_and_state(team: StudyTeam) -> None:
    second, hidden = partner_in_three_studies(team)
    client = client_for(team.coordinator)
    response = client.get(url(team), {"study": second.pk})
    assert response.context["grand"].count == 1
    assert client.get(url(team), {"activity_type": "co_analysis"}).context["grand"].minutes == 120
    assert client.get(url(team), {"date_to": "2024-12-31"}).context["grand"].count == 1
    assert client.get(url(team), {"state": "approved"}).context["grand"].count == 3
    # A study the viewer is not in cannot be chosen.
    refused = client.get(url(team), {"study": hidden.pk})
    assert "Select a valid choice" in refused.content.decode()
    assert refused.context["grand"].count == 3


def test_the_exports_list_the_partners_contributions_by_date(team: StudyTeam) -> None:
    partner_in_three_studies(team)
    client = client_for(team.coordinator)
    sheets = Download.of(lambda kind: client.get(url(team), {"export": kind}))
    sheets.check()
    assert sheets.book.sheetnames == ["Involvement across studies", "Totals"]
    rows = sheets.xlsx_records()
    assert {row["Partner"] for row in rows} == {team.partner.display_name}
    assert [(row["Date"], row["Study"], row["Minutes"]) for row in rows] == [
        (dt.datetime(2024, 11, 5), "Second study", 120),
        (dt.datetime(2025, 3, 10), team.study.title, 60),
        (dt.datetime(2025, 3, 10), team.study.title, 30),
    ]
    assert sheets.formats("Date") == {DATE}
    assert sheets.frame()["Hours"].sum() == 3.5
    assert sheets.totals() == {"Contributions": 3, "Minutes": 210, "Hours": 3.5}
    assert [row["Date"] for row in sheets.csv_records()] == [
        "2024-11-05",
        "2025-03-10",
        "2025-03-10",
    ]


def test_a_former_partner_of_the_study_can_be_looked_up(team: StudyTeam) -> None:
    contribution(study=team.study, partner=team.partner, stage=stages_of(team.study)[0])
    membership_end(membership=team.partner.memberships.get(study=team.study))
    response = client_for(team.coordinator).get(url(team))
    assert response.status_code == 200
    assert response.context["grand"].count == 1


def test_it_gives_404_for_someone_who_is_not_a_partner_of_this_study(team: StudyTeam) -> None:
    client = client_for(team.coordinator)
    for user_id in (team.researcher.pk, team.coordinator.pk, team.outsider.pk, 999_999):
        response = client.get(url(team, user_id))
        assert response.status_code == 404, user_id
        assert escape(team.outsider.display_name) not in response.content.decode()


def test_it_refuses_the_partner_and_an_outsider(team: StudyTeam) -> None:
    assert client_for(team.partner).get(url(team)).status_code == 403
    assert client_for(team.outsider).get(url(team)).status_code == 404


def test_the_study_table_links_to_each_partners_page(team: StudyTeam) -> None:
    response = client_for(team.coordinator).get(reverse("study_involvement", args=[team.study.pk]))
    assert f'href="{url(team)}"' in response.content.decode()
