"""A study's involvement: stage × partner table, chart, filtered list and its exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils.html import escape

from engagement.models import ContributionState
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.engagement.history_data import (
    cell,
    contribution,
    section,
    stages_of,
    strip_tags,
    table_rows,
)
from tests.factories import MembershipFactory, UserFactory
from tests.sheets import DATE, Download
from tests.time_text import as_shown


def url(team: StudyTeam, **params: str) -> str:
    base = reverse("study_involvement", args=[team.study.pk])
    if params:
        from urllib.parse import urlencode

        base += "?" + urlencode(params)
    return base


def get(team: StudyTeam, user=None, **params: str):
    response = client_for(user or team.coordinator).get(url(team, **params))
    assert response.status_code == 200
    return response


@pytest.fixture
def known(team: StudyTeam):
    """Two partners: three contributions at stage 1 and one at stage 3; a draft; no stage 2."""
    second = MembershipFactory(study=team.study, role=Role.PARTNER, user__display_name="Zed Z").user
    stages = stages_of(team.study)
    contribution(study=team.study, partner=team.partner, stage=stages[0], minutes=90)
    contribution(
        study=team.study,
        partner=team.partner,
        stage=stages[0],
        minutes=30,
        on=dt.date(2025, 4, 2),
        activity="workshop",
        state=ContributionState.SUBMITTED,
    )
    contribution(study=team.study, partner=second, stage=stages[0], minutes=60)
    contribution(
        study=team.study,
        partner=second,
        stage=stages[2],
        minutes=20,
        on=dt.date(2025, 4, 20),
        state=ContributionState.PAID,
    )
    # A draft is the partner's own until sent: never counted.
    contribution(
        study=team.study,
        partner=team.partner,
        stage=stages[1],
        minutes=600,
        state=ContributionState.DRAFT,
    )
    # Another study's involvement never shows here.
    other_stage = team.other_study.stages.create(name="Elsewhere", position=1)
    contribution(study=team.other_study, partner=team.outsider, stage=other_stage, minutes=45)
    return second, stages


# --- who may look -----------------------------------------------------------------------


def test_it_shows_the_research_team_the_page(team: StudyTeam) -> None:
    for person in (team.coordinator, team.researcher):
        response = get(team, person)
        assert "Involvement by stage and partner" in response.content.decode()


def test_it_refuses_a_partner_and_hides_the_study_from_an_outsider(team: StudyTeam) -> None:
    assert client_for(team.partner).get(url(team)).status_code == 403
    response = client_for(team.outsider).get(url(team))
    assert response.status_code == 404
    assert escape(team.study.title) not in response.content.decode()


# --- the stage × partner table -------------------------------------------------------------


def test_it_counts_contributions_and_hours_per_partner_and_stage(team: StudyTeam, known) -> None:
    second, _stages = known
    response = get(team)
    p, s = team.partner.pk, second.pk
    assert cell(response, f"{p}-0") == as_shown("2 (2 h)")
    assert cell(response, f"{p}-1") == "0"  # the draft is not counted
    assert cell(response, f"{p}-total") == as_shown("2 (2 h)")
    assert cell(response, f"{s}-0") == as_shown("1 (1 h)")
    assert cell(response, f"{s}-2") == as_shown("1 (20 min)")
    assert cell(response, f"{s}-total") == as_shown("2 (1 h 20 min)")
    assert cell(response, "total-0") == as_shown("3 (3 h)")
    assert cell(response, "total-2") == as_shown("1 (20 min)")
    assert cell(response, "total-total") == as_shown("4 (3 h 20 min)")
    # The time is on a line of its own under the count, so eight stages fit across a laptop.
    assert (
        as_shown(f'data-cell="{p}-0">2<br><span class="small text-wrap">(2 h)</span></td>')
        in response.content.decode()
    )
    assert "Elsewhere" not in response.content.decode()


def test_it_lists_stages_in_the_studys_order_and_partners_as_rows(team: StudyTeam, known) -> None:
    second, stages = known
    table = section(get(team), "table-heading")
    header = table_rows(table)[0]
    assert header[0] == "Partner"
    assert [h.replace(" No involvement", "") for h in header[1:-1]] == [s.name for s in stages]
    names = [row[0] for row in table_rows(table)[1:-1]]
    assert names == sorted([team.partner.display_name, second.display_name])
    assert 'scope="row"' in table
    assert "<caption" in table


def test_it_flags_a_stage_with_no_involvement_in_words(team: StudyTeam, known) -> None:
    _second, stages = known
    table = section(get(team), "table-heading")
    summary = strip_tags(table[: table.index("<table")])
    assert "6 stages have no involvement" in summary
    assert stages[1].name in summary  # only a draft there
    assert stages[0].name not in summary
    headers = re.findall(r'<th scope="col"[^>]*data-stage="(\d+)"[^>]*>(.*?)</th>', table, re.S)
    flagged = {int(pk) for pk, text in headers if "No involvement" in text}
    assert flagged == {stage.pk for stage in stages} - {stages[0].pk, stages[2].pk}


def test_it_lists_a_partner_with_no_involvement_with_zeros(team: StudyTeam) -> None:
    response = get(team)
    assert cell(response, f"{team.partner.pk}-total") == "0"
    assert "8 stages have no involvement" in strip_tags(section(response, "table-heading"))


def test_a_former_partner_keeps_their_row(team: StudyTeam, known) -> None:
    from engagement.services import membership_end

    membership_end(membership=team.partner.memberships.get(study=team.study))
    assert cell(get(team), f"{team.partner.pk}-0") == as_shown("2 (2 h)")


# --- filters ---------------------------------------------------------------------------------


def test_it_filters_by_date_range(team: StudyTeam, known) -> None:
    response = get(team, date_from="2025-04-01", date_to="2025-04-30")
    assert cell(response, "total-total") == as_shown("2 (50 min)")
    assert "2 contributions match." in response.content.decode()


def test_it_filters_by_stage_activity_and_state(team: StudyTeam, known) -> None:
    _second, stages = known
    assert cell(get(team, stage=str(stages[2].pk)), "total-total") == as_shown("1 (20 min)")
    assert cell(get(team, activity_type="workshop"), "total-total") == as_shown("1 (30 min)")
    assert cell(get(team, state="approved"), "total-total") == as_shown("2 (2 h 30 min)")
    # Drafts cannot be asked for: the choice is not offered.
    response = get(team, state="draft")
    assert "Select a valid choice" in response.content.decode()
    assert cell(response, "total-total") == as_shown("4 (3 h 20 min)")


def test_it_explains_a_start_date_after_the_end_date(team: StudyTeam, known) -> None:
    response = get(team, date_from="2025-05-01", date_to="2025-04-01")
    content = response.content.decode()
    assert "There is a problem" in content
    assert "The end date must be on or after the start date." in content
    assert 'href="#id_date_to"' in content
    assert cell(response, "total-total") == as_shown("4 (3 h 20 min)")  # the range is not applied


def test_another_studys_stage_in_the_filter_is_refused(team: StudyTeam, known) -> None:
    other_stage = team.other_study.stages.create(name="Theirs", position=9)
    response = get(team, stage=str(other_stage.pk))
    assert "Select a valid choice" in response.content.decode()


# --- the list and pagination -------------------------------------------------------------------


def test_it_pages_the_list_fifty_at_a_time(team: StudyTeam) -> None:
    stage = stages_of(team.study)[0]
    for day in range(1, 61):
        contribution(
            study=team.study,
            partner=team.partner,
            stage=stage,
            on=dt.date(2025, 1, 1) + dt.timedelta(days=day),
            activity="interview",
        )
    first = get(team, activity_type="interview")
    assert first.context["page_obj"].paginator.count == 60
    assert len(first.context["page_obj"].object_list) == 50
    content = first.content.decode()
    assert "Page 1 of 2" in content
    assert "?activity_type=interview&amp;page=2" in content
    second = get(team, activity_type="interview", page="2")
    assert len(second.context["page_obj"].object_list) == 10
    assert "Previous page" in second.content.decode()
    # The newest comes first.
    assert first.context["page_obj"].object_list[0].activity_date == dt.date(2025, 3, 2)
    # A page past the end shows the last one rather than failing.
    assert get(team, page="99").status_code == 200


def test_the_list_says_who_entered_a_contribution_by_proxy(team: StudyTeam) -> None:
    contribution(
        study=team.study,
        partner=team.partner,
        stage=stages_of(team.study)[0],
        entered_by=team.coordinator,
    )
    assert "Entered by proxy by Cora Coordinator" in get(team).content.decode()


# --- the chart ---------------------------------------------------------------------------------


def test_the_chart_is_a_named_image_without_inline_styles(team: StudyTeam, known) -> None:
    chart = section(get(team), "chart-heading")
    svg = chart[chart.index("<svg") : chart.index("</svg>")]
    assert 'role="img"' in svg
    assert 'aria-labelledby="stage-chart-title stage-chart-desc"' in svg
    assert '<title id="stage-chart-title">Involvement by stage over time</title>' in svg
    assert '<desc id="stage-chart-desc">' in svg
    assert "style" not in svg
    # March and April 2025: one bar for each month with involvement at each stage.
    assert svg.count("<rect") == 3


def test_the_charts_table_shows_the_same_time(team: StudyTeam, known) -> None:
    _second, stages = known
    response = get(team)
    data = response.context["chart_data"]
    assert data.months == [dt.date(2025, 3, 1), dt.date(2025, 4, 1)]
    chart = section(response, "chart-heading")
    table = chart[chart.index("<table") :]
    rows = table_rows(table)
    assert rows[0][0] == "Month"
    assert rows[0][1:-1] == [s.name for s in stages]
    none = ["0 min"] * 5
    assert rows[1] == ["March 2025", "2 h 30 min", "0 min", "0 min", *none, "2 h 30 min"]
    assert rows[2] == ["April 2025", "30 min", "0 min", "20 min", *none, "50 min"]
    # The figures drawn are the ones in the table.
    for series in data.series:
        assert sum(series.minutes) == {stages[0].pk: 180, stages[2].pk: 20}.get(series.stage.pk, 0)
    assert f"{stages[1].name}: no involvement" in chart


def test_the_chart_names_each_stages_time_in_hours_and_minutes(team: StudyTeam, known) -> None:
    _second, stages = known
    chart = section(get(team), "chart-heading")
    assert as_shown(f">{stages[0].name}: 3 h</text>") in chart
    assert as_shown(f">{stages[2].name}: 20 min</text>") in chart
    assert "Time given each month" in chart


def test_the_list_gives_each_contributions_time(team: StudyTeam, known) -> None:
    rows = table_rows(section(get(team), "list-heading"))
    assert rows[0][4] == "Time"
    # Newest first: 20 April, 2 April, then the two on 10 March, the later recorded first.
    assert [row[4] for row in rows[1:]] == ["20 min", "30 min", "1 h", "1 h 30 min"]


def test_it_says_so_when_there_is_nothing_to_chart(team: StudyTeam) -> None:
    chart = section(get(team), "chart-heading")
    assert "There is no involvement to show over time yet." in chart
    assert "<svg" not in chart


# --- exports -----------------------------------------------------------------------------------


def test_the_csv_export_holds_the_filtered_contributions(team: StudyTeam, known) -> None:
    response = client_for(team.researcher).get(url(team, state="approved", export="csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:8] == [
        "Date",
        "Study",
        "Stage",
        "Partner",
        "Activity",
        "Minutes",
        "Hours",
        "State",
    ]
    assert len(rows) == 3
    assert {row[3] for row in rows[1:]} == {team.partner.display_name, "Zed Z"}
    assert {row[5] for row in rows[1:]} == {"90", "60"}
    assert {row[7] for row in rows[1:]} == {"Approved"}
    assert all(row[1] == team.study.title for row in rows[1:])


def test_the_xlsx_export_holds_the_same_rows_typed_by_date(team: StudyTeam, known) -> None:
    sheets = Download.of(lambda kind: get(team, export=kind))
    sheets.check()
    assert sheets.xlsx_response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert sheets.book.sheetnames == ["Involvement in the study", "Totals"]
    rows = sheets.xlsx_records()
    assert len(rows) == 4  # four contributions; no draft, nothing from another study
    assert [row["Date"] for row in rows] == [
        dt.datetime(2025, 3, 10),
        dt.datetime(2025, 3, 10),
        dt.datetime(2025, 4, 2),
        dt.datetime(2025, 4, 20),
    ]
    assert [row["Minutes"] for row in rows] == [90, 60, 30, 20]
    assert [row["Hours"] for row in rows] == [1.5, 1, 0.5, 0.33]
    assert sheets.formats("Date") == {DATE}
    assert sheets.formats("Minutes") == {"0"}
    frame = sheets.frame()
    assert str(frame["Date"].dtype).startswith("datetime64")
    assert frame["Minutes"].sum() == 200
    assert sheets.totals() == {"Contributions": 4, "Minutes": 200, "Hours": 3.33}
    assert sheets.csv_frame()["Minutes"].sum() == 200


def test_the_exports_do_not_let_a_cell_run_as_a_formula(team: StudyTeam) -> None:
    hostile = UserFactory(display_name='=HYPERLINK("http://x")')
    MembershipFactory(study=team.study, user=hostile, role=Role.PARTNER)
    contribution(
        study=team.study,
        partner=hostile,
        stage=stages_of(team.study)[0],
        what="+SUM(A1:A9)",
    )
    rows = list(csv.reader(io.StringIO(get(team, export="csv").content.decode("utf-8-sig"))))
    assert rows[1][3] == '\'=HYPERLINK("http://x")'
    assert rows[1][9] == "'+SUM(A1:A9)"
    sheet = openpyxl.load_workbook(io.BytesIO(get(team, export="xlsx").content)).active
    values = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    # The XLSX keeps the text as it is, written as text: a cell never becomes a formula.
    assert values[3] == '=HYPERLINK("http://x")'
    assert values[9] == "+SUM(A1:A9)"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_an_unknown_export_kind_shows_the_page(team: StudyTeam) -> None:
    response = get(team, export="pdf")
    assert response["Content-Type"].startswith("text/html")


def test_a_filter_in_error_is_marked_and_points_at_its_message(team: StudyTeam) -> None:
    from django.urls import reverse

    response = client_for(team.coordinator).get(
        reverse("study_involvement", args=[team.study.pk]),
        {"date_from": "2026-05-01", "date_to": "2026-04-01"},
    )
    content = response.content.decode()
    assert 'aria-invalid="true"' in content
    assert 'aria-describedby="id_date_to-error"' in content
    assert 'id="id_date_to-error"' in content
