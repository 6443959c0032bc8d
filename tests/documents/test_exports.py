""" "You said, we did" (page and CSV) and the Web Annotation (JSON-LD) export."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.models import Comment, Outcome, Response, ThreadState, Version, Visibility
from portal.accounts.models import User
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import open_round, ready_version, thread
from tests.factories import MembershipFactory


class Threads:
    def __init__(self, team: StudyTeam) -> None:
        self.version = ready_version(
            study=team.study,
            by=team.coordinator,
            paragraphs=[
                "# Consent",
                "You can stop at any time.",
                "We keep data for five years.",
            ],
        )
        open_round(self.version, by=team.coordinator)
        now = timezone.now()
        self.changed = thread(
            self.version, team.partner, "Five years is long.", block_id="b3", exact="five years"
        )
        Response.objects.create(
            comment=self.changed,
            outcome=Outcome.CHANGED,
            body="We now keep it for three years.",
            author=team.researcher,
            published_at=now,
        )
        self.not_changed = thread(
            self.version, team.partner, "Say 'quit' not 'stop'.", block_id="b2"
        )
        Response.objects.create(
            comment=self.not_changed,
            outcome=Outcome.NOT_CHANGED,
            body="We kept 'stop'.",
            reason="It is the word our ethics committee approved.",
            author=team.researcher,
            published_at=now,
        )
        Comment.objects.filter(pk__in=[self.changed.pk, self.not_changed.pk]).update(
            state=ThreadState.ANSWERED
        )
        self.formula = thread(self.version, team.partner, '=HYPERLINK("http://evil")')
        self.private = thread(
            self.version, team.partner, "A private health worry.", visibility=Visibility.TEAM
        )
        self.draft_answered = thread(self.version, team.partner, "Waiting for an answer.")
        Response.objects.create(
            comment=self.draft_answered,
            outcome=Outcome.NO_CHANGE_NEEDED,
            body="A team draft answer.",
            author=team.researcher,
        )
        self.reply = Comment.objects.create(
            version=self.version,
            parent=self.changed,
            author=team.researcher,
            body="Thanks for raising it.",
            block_id="b3",
        )


@pytest.fixture
def threads(team: StudyTeam) -> Threads:
    return Threads(team)


def ysdw_url(version: Version, **query: str) -> str:
    url = reverse("you_said_we_did", args=[version.document.study_id, version.document_id])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def csv_rows(user: User, version: Version, **query: str) -> list[list[str]]:
    response = client_for(user).get(ysdw_url(version, format="csv", **query))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="you-said-we-did-')
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- the page ----------------------------------------------------------------------------


def test_the_page_lists_comments_with_what_the_team_did(team: StudyTeam, threads: Threads) -> None:
    content = client_for(team.partner).get(ysdw_url(threads.version)).content.decode()
    assert "Five years is long." in content
    assert "We now keep it for three years." in content
    assert "Changed" in content
    assert "Not changed" in content
    assert "It is the word our ethics committee approved." in content
    assert "Not answered yet" in content
    assert "<q>five years</q>" in content
    # Partners never see team draft answers, nor another partner's team-only comment.
    assert "A team draft answer." not in content
    assert "A private health worry." in content  # their own
    other = MembershipFactory(study=team.study).user
    other_content = client_for(other).get(ysdw_url(threads.version)).content.decode()
    assert "Five years is long." in other_content
    assert "A private health worry." not in other_content
    assert "A team draft answer." not in other_content
    team_content = client_for(team.coordinator).get(ysdw_url(threads.version)).content.decode()
    assert "A private health worry." in team_content
    assert "A team draft answer." in team_content


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"outcome": Outcome.CHANGED}, ["Five years is long."], ["Say &#x27;quit&#x27;"]),
        ({"outcome": Outcome.NOT_CHANGED}, ["Say &#x27;quit&#x27;"], ["Five years is long."]),
        (
            {"outcome": "none"},
            ["HYPERLINK", "Waiting for an answer."],
            ["Five years is long.", "Say &#x27;quit&#x27;"],
        ),
        (
            {"state": ThreadState.ANSWERED},
            ["Five years is long.", "Say &#x27;quit&#x27;"],
            ["Waiting for an answer."],
        ),
        (
            {"state": ThreadState.OPEN, "outcome": "none"},
            ["Waiting for an answer."],
            ["Five years is long."],
        ),
        ({"state": ThreadState.CONFIRMED}, ["No comments match."], ["Five years is long."]),
    ],
)
def test_filters_by_outcome_and_state(
    team: StudyTeam, threads: Threads, query: dict[str, str], shown: list[str], hidden: list[str]
) -> None:
    content = client_for(team.partner).get(ysdw_url(threads.version, **query)).content.decode()
    for text in shown:
        assert text in content, text
    for text in hidden:
        assert text not in content, text


def test_an_unknown_filter_value_shows_everything(team: StudyTeam, threads: Threads) -> None:
    response = client_for(team.partner).get(ysdw_url(threads.version, outcome="<b>", state="x"))
    assert response.status_code == 200
    assert "Five years is long." in response.content.decode()
    assert "HYPERLINK" in response.content.decode()


# --- CSV ---------------------------------------------------------------------------------


def test_the_csv_has_a_header_and_one_row_per_visible_thread(
    team: StudyTeam, threads: Threads
) -> None:
    rows = csv_rows(team.coordinator, threads.version)
    header, *body = rows
    assert header[:3] == ["Version", "Passage", "Comment"]
    assert "Outcome" in header
    comments = [row[2] for row in body]
    assert len(body) == 5  # every thread, no replies
    assert "Thanks for raising it." not in comments
    changed = body[comments.index("Five years is long.")]
    assert changed[header.index("Passage")] == "five years"
    assert changed[header.index("Outcome")] == "Changed"
    assert changed[header.index("What we did")] == "We now keep it for three years."
    assert changed[header.index("State")] == "Answered"


def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_defused(
    team: StudyTeam, threads: Threads
) -> None:
    rows = csv_rows(team.partner, threads.version)
    comments = [row[2] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in comments
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_team_only_comments_are_absent_from_a_partners_csv(
    team: StudyTeam, threads: Threads
) -> None:
    other = MembershipFactory(study=team.study).user
    other_rows = csv_rows(other, threads.version)
    assert len(other_rows) == 1 + 4
    flat = "\n".join(",".join(row) for row in other_rows)
    assert "A private health worry." not in flat
    assert "A team draft answer." not in flat
    assert "Five years is long." in flat
    # The author's own team-only comment is theirs to see, and the team's.
    assert "A private health worry." in str(csv_rows(team.partner, threads.version))
    assert "A private health worry." in str(csv_rows(team.researcher, threads.version))


def test_the_csv_follows_the_filters(team: StudyTeam, threads: Threads) -> None:
    rows = csv_rows(team.partner, threads.version, outcome=Outcome.CHANGED)
    assert [row[2] for row in rows[1:]] == ["Five years is long."]


# --- JSON-LD -----------------------------------------------------------------------------


def annotations(user: User, version: Version) -> dict[str, Any]:
    response = client_for(user).get(
        reverse(
            "version_annotations",
            args=[version.document.study_id, version.document_id, version.number],
        )
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    return json.loads(response.content)


def body_value(item: dict[str, Any]) -> str:
    body = item["body"]
    value: str = (body[0] if isinstance(body, list) else body)["value"]
    return value


def test_the_annotations_are_a_web_annotation_collection(team: StudyTeam, threads: Threads) -> None:
    data = annotations(team.researcher, threads.version)
    assert data["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert data["type"] == "AnnotationCollection"
    items = data["first"]["items"]
    assert data["total"] == len(items)
    by_body = {body_value(item): item for item in items}
    passage = by_body["Five years is long."]
    assert passage["type"] == "Annotation"
    assert passage["motivation"] == "commenting"
    target = passage["target"]
    assert target["type"] == "SpecificResource"
    assert target["source"].endswith(
        reverse(
            "version_detail",
            args=[team.study.pk, threads.version.document_id, threads.version.number],
        )
    )
    quote, position, fragment = target["selector"]
    assert quote["type"] == "TextQuoteSelector"
    assert quote["exact"] == "five years"
    assert position["type"] == "TextPositionSelector"
    assert fragment["type"] == "FragmentSelector"
    assert fragment["value"] == "b3"
    # A paragraph comment targets the block; a whole-document comment the page itself.
    assert by_body["Say 'quit' not 'stop'."]["target"]["selector"][-1]["value"] == "b2"
    assert isinstance(by_body['=HYPERLINK("http://evil")']["target"], str)
    reply = by_body["Thanks for raising it."]
    assert reply["motivation"] == "replying"
    assert reply["target"] == passage["id"]
    assert "A private health worry." in by_body
    # A team draft answer is not published, so it is not exported.
    assert "No change needed. A team draft answer." not in by_body


def test_a_partners_annotations_leave_out_what_they_may_not_see(
    team: StudyTeam, threads: Threads
) -> None:
    other = MembershipFactory(study=team.study).user
    items = annotations(other, threads.version)["first"]["items"]
    bodies = {body_value(item) for item in items}
    assert "Five years is long." in bodies
    assert "A private health worry." not in bodies


def test_withdrawn_comments_are_left_out_of_the_annotations(
    team: StudyTeam, threads: Threads
) -> None:
    Comment.objects.filter(pk=threads.formula.pk).update(withdrawn_at=timezone.now())
    bodies = {
        body_value(item) for item in annotations(team.researcher, threads.version)["first"]["items"]
    }
    assert '=HYPERLINK("http://evil")' not in bodies


def test_an_independent_review_also_hides_others_comments_from_you_said_we_did(
    team: StudyTeam,
) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Text."])
    other = MembershipFactory(study=team.study).user
    review_round = open_round(version, by=team.coordinator, independent=True)
    thread(version, team.partner, "Formed alone.", review_round=review_round)
    thread(version, other, "My own view.", review_round=review_round)
    page = client_for(other).get(ysdw_url(version)).content.decode()
    assert "My own view." in page
    assert "Formed alone." not in page
    assert "Formed alone." not in str(csv_rows(other, version))
    review_round.assignments.filter(partner=other).update(state="finished")
    assert "Formed alone." in client_for(other).get(ysdw_url(version)).content.decode()


def test_the_annotation_file_is_offered_in_words_a_coordinator_understands(
    team: StudyTeam,
) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Hello."])
    url = reverse("version_detail", args=[team.study.pk, version.document_id, version.number])
    annotations = reverse(
        "version_annotations", args=[team.study.pk, version.document_id, version.number]
    )
    page = client_for(team.coordinator).get(url).content.decode()
    assert "Download the comments for annotation software" in page
    assert "each comment on its passage" in page
    assert annotations in page
    # Partners are not offered it.
    assert annotations not in client_for(team.partner).get(url).content.decode()


# --- you said, we did: drafts, withdrawn, paragraphs, Excel ------------------------------


def test_a_team_draft_answer_is_marked_for_the_team_and_absent_for_partners(
    team: StudyTeam, threads: Threads
) -> None:
    rows = csv_rows(team.coordinator, threads.version)
    header, *body = rows
    draft = next(row for row in body if row[2] == "Waiting for an answer.")
    assert draft[header.index("Answer")] == "draft, not published"
    changed = next(row for row in body if row[2] == "Five years is long.")
    assert changed[header.index("Answer")] == "published"
    page = client_for(team.coordinator).get(ysdw_url(threads.version)).content.decode()
    assert "Draft, not published: partners cannot see it yet" in page
    partner_page = client_for(team.partner).get(ysdw_url(threads.version)).content.decode()
    assert "A team draft answer." not in partner_page
    assert "Draft, not published" not in partner_page
    mine = next(row for row in csv_rows(team.partner, threads.version)[1:] if "Waiting" in row[2])
    assert mine[header.index("What we did")] == ""
    assert mine[header.index("Answer")] == ""


def test_a_withdrawn_comment_reads_withdrawn_and_a_paragraph_comment_names_its_paragraph(
    team: StudyTeam, threads: Threads
) -> None:
    Comment.objects.filter(pk=threads.formula.pk).update(withdrawn_at=timezone.now())
    header, *body = csv_rows(team.coordinator, threads.version)
    withdrawn = next(row for row in body if row[2] == "(withdrawn)")
    assert withdrawn[header.index("State")] == "Withdrawn"
    assert withdrawn[header.index("Passage")] == "The whole document"
    paragraph = next(row for row in body if row[2] == "Say 'quit' not 'stop'.")
    assert paragraph[header.index("Passage")] == "Paragraph: You can stop at any time."
    page = client_for(team.coordinator).get(ysdw_url(threads.version)).content.decode()
    assert "On the paragraph: <q>You can stop at any time.</q>" in page
    assert "Withdrawn</span>" in page


def test_the_rows_come_oldest_first_in_csv_and_excel_alike(
    team: StudyTeam, threads: Threads
) -> None:
    import pandas as pd

    Comment.objects.filter(pk=threads.changed.pk).update(
        created_at=timezone.now() + timezone.timedelta(days=1)
    )
    rows = csv_rows(team.coordinator, threads.version)
    assert rows[-1][2] == "Five years is long."
    response = client_for(team.coordinator).get(ysdw_url(threads.version, format="xlsx"))
    assert response.status_code == 200
    book = pd.read_excel(io.BytesIO(response.content), sheet_name=None)
    assert list(book) == ["You said, we did"]
    frame = book["You said, we did"]
    assert list(frame.columns) == rows[0]
    assert list(frame["Comment"]) == [
        row[2].removeprefix("'") if row[2].startswith("'=") else row[2] for row in rows[1:]
    ]
    assert frame["Comment"].iloc[-1] == "Five years is long."
    assert str(frame["Date"].dtype).startswith("datetime64")
    assert frame["Version"].tolist() == [1] * (len(rows) - 1)
    # The formula-like comment is kept as it was written, as text, in the spreadsheet.
    assert '=HYPERLINK("http://evil")' in frame["Comment"].tolist()


def test_an_independent_review_hides_others_comments_on_earlier_versions_too(
    team: StudyTeam,
) -> None:
    first = ready_version(study=team.study, by=team.coordinator, paragraphs=["Text."])
    thread(first, team.partner, "Said on the first version.")
    second = ready_version(
        study=team.study, by=team.coordinator, paragraphs=["Text, again."], document=first.document
    )
    other = MembershipFactory(study=team.study).user
    open_round(second, by=team.coordinator, independent=True)
    thread(second, other, "My own view.")
    page = client_for(other).get(ysdw_url(second)).content.decode()
    assert "My own view." in page
    assert "Said on the first version." not in page
    assert "Said on the first version." not in str(csv_rows(other, second))


def test_you_said_we_did_reads_back_the_same_in_every_program(
    team: StudyTeam, threads: Threads
) -> None:
    from tests.sheets import Download

    client = client_for(team.coordinator)
    download = Download.of(lambda kind: client.get(ysdw_url(threads.version, format=kind)))
    download.check()
    download.check_pandas()
    assert download.formats("Date") == {"yyyy-mm-dd"}
    assert len(download.xlsx_records()) == 5
