"""A study's involvement report (GRIPP2-SF): the narrative and its drafts, the figures from the
records, the partners' choice not to be named, and the PDF as its readers get it."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pypdf
import pytest
from django.test import Client
from django.urls import reverse

from documents.models import Comment, Version
from documents.services.comments import thread_reopen
from documents.services.responses import response_save
from engagement.models import Contribution, ContributionState, Stage
from portal.accounts.models import Acknowledgement, User
from portal.home.models import StudyReport
from portal.home.printing import PdfUnavailable
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import ready_version, thread
from tests.engagement.history_data import table_rows
from tests.factories import MembershipFactory, UserFactory
from tests.home.pdfs import (
    font_names,
    outline_titles,
    pdf_lines,
    pdf_text,
    save_artefact,
    struct_alt_texts,
)
from tests.time_text import as_shown

pytestmark = pytest.mark.django_db

ANONYMOUS_NAME = "Zephyrine Quillfeather"
NAMED_NAME = "Nadia Namedperson"
HEADINGS = (
    "1. Aim of involvement",
    "2. Methods",
    "3. Results and outcomes",
    "4. Discussion: the extent of influence",
    "5. Reflections",
)
DAY = dt.date(2025, 3, 10)


def _report_url(team: StudyTeam, name: str = "study_report") -> str:
    return reverse(name, args=[team.study.pk])


def _partner(team: StudyTeam, name: str, *, anonymous: bool = False) -> User:
    user = MembershipFactory(
        study=team.study, role=Role.PARTNER, user=UserFactory(display_name=name)
    ).user
    if anonymous:
        user.profile.acknowledgement = Acknowledgement.ANONYMOUS
        user.profile.save()
    return user


def _stages(team: StudyTeam) -> list[Stage]:
    return list(team.study.stages.order_by("position", "id"))


def _contribution(
    team: StudyTeam,
    partner: User,
    stage: Stage,
    *,
    activity: str = "meeting",
    minutes: int = 60,
    on: dt.date = DAY,
    state: str = ContributionState.APPROVED,
    standards: list[str] | None = None,
    what_changed: str = "",
) -> Contribution:
    return Contribution.objects.create(
        partner=partner,
        study=team.study,
        stage=stage,
        activity_type=activity,
        activity_date=on,
        minutes=minutes,
        what_they_did="Took part.",
        what_changed=what_changed,
        impact_standards=standards or [],
        state=state,
    )


@dataclass
class Records:
    named: User
    anonymous: User
    document_v1: Version
    document_v2: Version


def _answer(comment: Comment, team: StudyTeam, outcome: str, **kwargs: Any) -> None:
    response_save(
        thread=comment,
        author=team.researcher,
        outcome=outcome,
        body=kwargs.pop("body", "We looked at it."),
        publish=kwargs.pop("publish", True),
        **kwargs,
    )


@pytest.fixture
def records(team: StudyTeam) -> Records:
    """Two partners (one not to be named), contributions in two stages, answered comments."""
    named = _partner(team, NAMED_NAME)
    anonymous = _partner(team, ANONYMOUS_NAME, anonymous=True)
    first, second = _stages(team)[:2]
    _contribution(
        team,
        named,
        first,
        activity="meeting",
        minutes=90,
        standards=["working_together", "impact"],
        what_changed="The recruitment letter was rewritten in plain English.",
    )
    _contribution(team, named, first, activity="workshop", minutes=30, state="paid")
    _contribution(
        team,
        anonymous,
        second,
        activity="meeting",
        minutes=120,
        on=DAY + dt.timedelta(days=40),
        standards=["impact"],
        what_changed="Interviews can now be held at home.",
    )
    # Neither counts: one waits for approval, one was returned.
    _contribution(team, named, second, minutes=600, state=ContributionState.SUBMITTED)
    v1 = ready_version(
        study=team.study,
        by=team.coordinator,
        paragraphs=["# Information sheet", "You can stop at any time without saying why."],
    )
    v2 = ready_version(
        study=team.study,
        by=team.coordinator,
        paragraphs=["# Information sheet", "You can stop taking part at any time."],
        document=v1.document,
    )
    changed = thread(v1, named, "Say you will not be asked why.", block_id="b2", exact="stop")
    _answer(changed, team, "changed", body="We added that nobody will ask why.", changed_in=v2)
    partly = thread(v1, anonymous, "The sheet is too long for me to read in one go.")
    _answer(partly, team, "partly_changed", body="We shortened the first page.")
    kept = thread(v1, named, "Could it be in a larger font?")
    _answer(kept, team, "not_changed", reason="The print shop sets the size.")
    thread(v1, anonymous, "Who pays for my bus fare?")  # not answered
    drafted = thread(v1, named, "Is there a phone number?")
    _answer(drafted, team, "no_change_needed", publish=False)  # a draft answer: not answered
    # The team's own comments are not partners' input.
    thread(v1, team.researcher, "Check the ethics number.")
    return Records(named, anonymous, v1, v2)


def _coordinator(team: StudyTeam) -> Client:
    return client_for(team.coordinator)


def _pdf(team: StudyTeam, query: str = "") -> bytes:
    response = _coordinator(team).get(_report_url(team, "study_report_pdf") + query)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return response.content


# --- the narrative and its drafts ------------------------------------------------------------


def _save(client: Client, team: StudyTeam, **sections: str) -> Any:
    return client.post(_report_url(team), sections)


def test_each_save_is_a_draft_kept_in_the_history(team: StudyTeam) -> None:
    client = _coordinator(team)
    response = _save(client, team, aim="To shape the study with people who live with it.")
    assert response.status_code == 302
    assert response["Location"] == _report_url(team)
    followed = client.get(response["Location"])
    assert "Saved" in followed.content.decode()

    response = _save(
        client,
        team,
        aim="To shape the study with people who live with it.",
        reflections="We should have paid for taxis.",
    )
    assert response.status_code == 302
    report = StudyReport.objects.get(study=team.study)
    assert report.history.count() == 2
    assert report.updated_by == team.coordinator

    page = client.get(_report_url(team, "study_report_history"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Version 1" in html
    assert "Version 2" in html
    assert html.count("Saved by Cora Coordinator") == 2
    assert "Sections changed: 5. Reflections." in html
    assert "Sections changed: 1. Aim of involvement." in html
    assert "We should have paid for taxis." in html


def test_saving_the_same_text_again_adds_no_version(team: StudyTeam) -> None:
    client = _coordinator(team)
    _save(client, team, aim="Same.")
    _save(client, team, aim="Same.")
    assert StudyReport.objects.get(study=team.study).history.count() == 1


def test_a_save_over_someone_elses_newer_draft_is_refused_and_the_text_kept(
    team: StudyTeam,
) -> None:
    client = _coordinator(team)
    _save(client, team, aim="First.")
    seen = StudyReport.objects.get(study=team.study).history.latest().history_id
    _save(client, team, aim="Someone else's.", based_on=str(seen))
    response = _save(client, team, aim="Mine, typed on the old page.", based_on=str(seen))
    html = response.content.decode()
    assert response.status_code == 200
    assert "error-summary" in html
    assert "after you opened it" in html
    assert "Mine, typed on the old page." in html  # still in the box
    assert StudyReport.objects.get(study=team.study).aim == "Someone else's."


def test_a_section_too_long_is_an_error_not_a_500(team: StudyTeam) -> None:
    response = _save(_coordinator(team), team, aim="x" * 10_001)
    assert response.status_code == 200
    assert b"error-summary" in response.content
    assert not StudyReport.objects.filter(study=team.study).exists()


def test_sections_print_as_written_escaped_and_empty_ones_say_so(team: StudyTeam) -> None:
    client = _coordinator(team)
    _save(client, team, aim="First paragraph.\n\nSecond <b>paragraph</b>.")
    html = client.get(_report_url(team)).content.decode()
    assert "<p>First paragraph.</p>" in html
    assert "<p>Second &lt;b&gt;paragraph&lt;/b&gt;.</p>" in html
    assert html.count("This section has not been written yet.") == 4
    for heading in HEADINGS:
        assert heading in html


# --- the figures from the records -------------------------------------------------------------


def _table(html: str, css_class: str) -> str:
    start = html.index(f'<table class="table table-sm {css_class}">')
    return html[start : html.index("</table>", start)]


def _shown(count: int, time: str) -> str:
    """A stage and activity cell as the page has it: the count, and the time under it."""
    return as_shown(f'{count}<br><span class="hours small text-nowrap">({time})</span>')


def _cell(html: str, attribute: str, key: str) -> str:
    marker = f'{attribute}="{key}">'
    start = html.index(marker) + len(marker)
    return html[start : html.index("</td>", start)]


def test_the_page_shows_the_figures_from_approved_and_paid_involvement(
    team: StudyTeam, records: Records
) -> None:
    html = _coordinator(team).get(_report_url(team)).content.decode()
    # Stages in rows, activity kinds in use in columns: Meeting (0), Workshop (1).
    assert _cell(html, "data-cell", "0-0") == _shown(1, "1 h 30 min")
    assert _cell(html, "data-cell", "0-1") == _shown(1, "30 min")
    assert _cell(html, "data-cell", "1-0") == _shown(1, "2 h")
    assert _cell(html, "data-cell", "1-1") == "0"
    assert _cell(html, "data-cell", "0-total") == _shown(2, "2 h")
    assert _cell(html, "data-cell", "total-0") == _shown(2, "3 h 30 min")
    assert _cell(html, "data-cell", "total-total") == _shown(3, "4 h")
    assert as_shown("2 partners gave 4 h to 3 activities of approved involvement.") in html
    # Partners with the time each gave, and in all.
    assert table_rows(_table(html, "report-partners")) == [
        ["Partner", "Activities", "Time"],
        [NAMED_NAME, "2", "2 h"],
        ["Public partner 1", "1", "2 h"],
        ["All partners", "3", "4 h"],
    ]
    # You said, we did: partners' conversations only; a draft answer is not an answer.
    assert _cell(html, "data-outcome", "changed") == "1"
    assert _cell(html, "data-outcome", "partly_changed") == "1"
    assert _cell(html, "data-outcome", "not_changed") == "1"
    assert _cell(html, "data-outcome", "no_change_needed") == "0"
    assert _cell(html, "data-outcome", "not_answered") == "2"
    assert _cell(html, "data-outcome", "all") == "5"
    assert "We added that nobody will ask why." in html
    assert "The change is in version 2." in html
    assert "We shortened the first page." in html
    assert "The sheet is too long for me to read in one go." in html  # its beginning
    assert "Could it be in a larger font?" not in html  # not changed: not in the list
    # The UK Standards.
    assert _cell(html, "data-standard", "impact") == "2"
    assert _cell(html, "data-standard", "working_together") == "1"
    assert _cell(html, "data-standard", "governance") == "0"
    assert _cell(html, "data-standard", "none") == "1"
    assert "Interviews can now be held at home." in html
    # The chart and its table.
    assert '<svg class="chart"' in html
    assert "left out of the chart and its table: Designing and managing, Undertaking" in html
    first, second = _stages(team)[:2]
    assert table_rows(_table(html, "chart-table")) == [
        ["Month", first.name, second.name, "All stages"],
        ["Mar 2025", "2 h", "0 min", "2 h"],
        ["Apr 2025", "0 min", "2 h", "2 h"],
    ]
    assert as_shown(f">{first.name}: 2 h</text>") in html


def test_a_conversation_the_partner_reopened_is_not_reported_as_settled(
    team: StudyTeam, records: Records
) -> None:
    partly = Comment.objects.get(body="The sheet is too long for me to read in one go.")
    thread_reopen(thread=partly, by=records.anonymous, note="The first page is still long.")
    html = _coordinator(team).get(_report_url(team)).content.decode()
    assert _cell(html, "data-outcome", "partly_changed") == "0"
    assert _cell(html, "data-outcome", "reopened") == "1"
    assert "Reopened by the partner, waiting for a new answer" in html
    assert _cell(html, "data-outcome", "all") == "5"
    # Still among the changes made, saying where it stands.
    assert "(partly changed, then reopened by the partner)" in html
    # Answered again, it is counted by its new answer.
    _answer(partly, team, "changed", body="We split the first page in two.")
    html = _coordinator(team).get(_report_url(team)).content.decode()
    assert _cell(html, "data-outcome", "reopened") == "0"
    assert _cell(html, "data-outcome", "changed") == "2"


def test_a_partner_who_asked_not_to_be_named_is_never_named_on_the_page(
    team: StudyTeam, records: Records
) -> None:
    html = _coordinator(team).get(_report_url(team)).content.decode()
    assert ANONYMOUS_NAME not in html
    assert NAMED_NAME in html
    assert "Public partner 1" in html
    assert "1 of them asked not to be named" in html


def test_a_period_chooses_the_figures(team: StudyTeam, records: Records) -> None:
    url = _report_url(team) + "?date_from=2025-04-01&date_to=2025-04-30"
    html = _coordinator(team).get(url).content.decode()
    assert _cell(html, "data-cell", "total-total") == _shown(1, "2 h")
    assert "1 April 2025 to 30 April 2025" in html
    assert f"{reverse('study_report_pdf', args=[team.study.pk])}?date_from=2025-04-01" in html


def test_a_period_with_no_involvement_says_so(team: StudyTeam, records: Records) -> None:
    url = _report_url(team) + "?date_from=2020-01-01&date_to=2020-12-31"
    response = _coordinator(team).get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is no approved involvement recorded for this study" in html
    assert "No approved involvement was recorded in this period." in html
    assert "Partners did not comment on the study" in html
    assert _pdf(team, "?date_from=2020-01-01&date_to=2020-12-31").startswith(b"%PDF")


@pytest.mark.parametrize("query", ["?date_from=2025-05-01&date_to=2025-04-01", "?date_to=nope"])
def test_impossible_dates_get_the_error_summary(
    team: StudyTeam, records: Records, query: str
) -> None:
    client = _coordinator(team)
    response = client.get(_report_url(team) + query)
    assert response.status_code == 200
    assert b"error-summary" in response.content
    pdf = client.get(_report_url(team, "study_report_pdf") + query)
    assert pdf.status_code == 302
    assert pdf["Location"].startswith(_report_url(team))


def _add_partners(team: StudyTeam, count: int, start: int) -> None:
    stages = _stages(team)
    for n in range(start, start + count):
        partner = _partner(team, f"Partner {n}", anonymous=n % 3 == 0)
        for i, stage in enumerate(stages[:3]):
            _contribution(
                team,
                partner,
                stage,
                activity=["meeting", "workshop", "interview"][i],
                standards=["impact"],
                what_changed=f"Change {n}-{i}",
            )


def test_the_page_takes_the_same_number_of_queries_for_3_or_12_partners(
    team: StudyTeam, records: Records, django_assert_max_num_queries: Any
) -> None:
    client = _coordinator(team)
    _add_partners(team, 1, 100)  # 3 partners
    client.get(_report_url(team))  # the session and the like, once
    with django_assert_max_num_queries(20) as few:
        assert client.get(_report_url(team)).status_code == 200
    _add_partners(team, 9, 200)  # 12 partners
    with django_assert_max_num_queries(20) as many:
        assert client.get(_report_url(team)).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


# --- who may see it ---------------------------------------------------------------------------


def test_another_studys_report_is_not_found(team: StudyTeam) -> None:
    client = _coordinator(team)
    for name in ("study_report", "study_report_pdf", "study_report_history"):
        assert client.get(reverse(name, args=[team.other_study.pk])).status_code == 404


def test_only_coordinators_are_shown_the_way_to_the_report(team: StudyTeam) -> None:
    link = _report_url(team).encode()
    detail = reverse("study_detail", args=[team.study.pk])
    involvement = reverse("study_involvement", args=[team.study.pk])
    assert link in _coordinator(team).get(detail).content
    assert link in _coordinator(team).get(involvement).content
    researcher = client_for(team.researcher)
    assert link not in researcher.get(detail).content
    assert link not in researcher.get(involvement).content


# --- the PDF ----------------------------------------------------------------------------------


def test_the_pdf_is_tagged_titled_bookmarked_and_in_the_portals_font(
    team: StudyTeam, records: Records, tmp_path: Any
) -> None:
    _save(_coordinator(team), team, aim="To shape the study with people who live with it.")
    content = _pdf(team)
    reader = pypdf.PdfReader(io.BytesIO(content))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "en-GB"
    assert bool(catalog["/MarkInfo"]["/Marked"]) is True
    assert "/StructTreeRoot" in catalog
    assert reader.metadata is not None
    assert reader.metadata["/Title"] == "Involvement report: Living well"
    assert reader.metadata["/Author"] == "Cora Coordinator"
    bookmarks = outline_titles(reader)
    for heading in HEADINGS:
        assert heading in bookmarks
    assert "Partners involved" in bookmarks
    fonts = font_names(reader)
    assert fonts
    assert all("Atkinson" in name for name in fonts), fonts
    alts = struct_alt_texts(reader)
    first, second = _stages(team)[:2]
    alt = next(alt for alt in alts if alt.startswith("Bar chart")).replace("\u00a0", " ")
    assert alt.startswith("Bar chart of the time given each month, one strip per stage,"), alt
    assert f"In all: {first.name}: 2 h; {second.name}: 2 h." in alt
    assert any("March 2025 to April 2025" in alt for alt in alts)

    text = pdf_text(content, tmp_path)
    assert "To shape the study with people who live with it." in text
    assert "This section has not been written yet." in text
    assert NAMED_NAME in text
    assert "Public partner 1" in text
    assert "2 partners gave 4 h to 3 activities of approved involvement" in text
    lines = pdf_lines(content)
    assert as_shown(f"{NAMED_NAME} 2 2 h") in lines
    assert as_shown("All partners 3 4 h") in lines
    assert as_shown("Mar 2025 2 h 0 min 2 h") in lines
    assert "Changed 1" in text
    assert "Partly changed 1" in text
    assert "Not answered yet 2" in text
    assert "We added that nobody will ask why." in text
    assert "Page 1 of" in text
    pngs = save_artefact(content, "study-report")
    assert pngs
    assert all(path.exists() for path in pngs)


def test_the_pdf_never_names_a_partner_who_asked_not_to_be(
    team: StudyTeam, records: Records, tmp_path: Any
) -> None:
    content = _pdf(team)
    assert ANONYMOUS_NAME.encode() not in content
    reader = pypdf.PdfReader(io.BytesIO(content))
    metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert ANONYMOUS_NAME not in metadata
    assert ANONYMOUS_NAME not in xmp
    assert ANONYMOUS_NAME not in " ".join(struct_alt_texts(reader))
    text = pdf_text(content, tmp_path)
    assert ANONYMOUS_NAME not in text
    assert "Quillfeather" not in text
    assert "Public partner 1" in text


def test_the_pdf_downloads_with_the_studys_name(team: StudyTeam) -> None:
    response = _coordinator(team).get(_report_url(team, "study_report_pdf"))
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="involvement-report-living-well-')
    assert disposition.endswith('.pdf"')
    # A period's report says which period in its name.
    client = _coordinator(team)
    dated = client.get(
        _report_url(team, "study_report_pdf"), {"date_from": "2025-01-01", "date_to": "2025-06-30"}
    )
    assert dated["Content-Disposition"] == (
        'attachment; filename="involvement-report-living-well-2025-01-01-2025-06-30.pdf"'
    )


def test_no_pdf_here_is_a_clear_page_not_a_500(team: StudyTeam, monkeypatch: Any) -> None:
    def refuse(template: str, context: dict[str, Any]) -> Any:
        raise PdfUnavailable("PDFs cannot be made on this server: WeasyPrint is missing.")

    monkeypatch.setattr("portal.home.reports.views.pdf_render", refuse)
    response = _coordinator(team).get(_report_url(team, "study_report_pdf"))
    assert response.status_code == 503
    html = response.content.decode()
    assert "WeasyPrint is missing" in html
    assert _report_url(team) in html


def test_a_long_list_of_changes_under_a_standard_is_cut_short_and_says_how_many_more(
    team: StudyTeam, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    import portal.home.reports.content as content

    monkeypatch.setattr(content, "CHANGES_LISTED", 1)
    html = _coordinator(team).get(_report_url(team)).content.decode()
    # Two changes were recorded under Impact: one is listed, the other counted.
    assert _cell(html, "data-standard", "impact") == "2"
    assert "And 1 more change was recorded for this standard" in html
    # Oldest first: the later change is the one left out.
    assert "The recruitment letter was rewritten in plain English." in html
    assert "Interviews can now be held at home." not in html
