"""A coordinator bringing in a partner's Word comments for them: entered by proxy."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from documents.models import (
    Assignment,
    AssignmentState,
    Comment,
    ReviewRound,
    Version,
    WordImport,
)
from documents.services.comments import comment_create, comment_reply
from documents.services.versions import version_blocks
from documents.wordimport import propose
from engagement.models import Membership
from portal.accounts.models import User
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import block_id_of, open_round, ready_version
from tests.documents.test_word_import import PARAGRAPHS, docx_with, word_url
from tests.factories import MembershipFactory
from tests.test_form_ids import BAD_NONEMPTY

pytestmark = pytest.mark.django_db

W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
NOTE = "Entered by Cora Coordinator on behalf of Pat Partner"
# The same, as the partner reads it about their own comments.
NOTE_TO_PARTNER = "Entered for you by Cora Coordinator"


@pytest.fixture
def sheet(team: StudyTeam) -> Version:
    """The information sheet, open for review by the partner, who is called Pat Partner."""
    User.objects.filter(pk=team.partner.pk).update(display_name="Pat Partner")
    team.partner.refresh_from_db()
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    open_round(version, by=team.coordinator)
    return version


def with_reply() -> bytes:
    """A partner's Word copy: a comment on "five years" and a reply to it in the margin."""
    body = (
        '<w:p><w:r><w:t>We keep your answers for </w:t></w:r><w:commentRangeStart w:id="1"/>'
        '<w:r><w:t>five years</w:t></w:r><w:commentRangeEnd w:id="1"/><w:r><w:t>.</w:t></w:r></w:p>'
    )
    comments = (
        f'<w:comment xmlns:w14="{W14}" w:id="1" w:author="Pat">'
        '<w:p w14:paraId="00000001"><w:r><w:t>Why so long?</w:t></w:r></w:p></w:comment>'
        f'<w:comment xmlns:w14="{W14}" w:id="2" w:author="Pat">'
        '<w:p w14:paraId="00000002"><w:r><w:t>My sister asked too.</w:t></w:r></w:p></w:comment>'
    )
    extended = (
        f'<w15:commentsEx xmlns:w15="{W15}">'
        '<w15:commentEx w15:paraId="00000001"/>'
        '<w15:commentEx w15:paraId="00000002" w15:paraIdParent="00000001"/>'
        "</w15:commentsEx>"
    )
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx_with(body, comments))) as source,
        zipfile.ZipFile(out, "w") as archive,
    ):
        for name in source.namelist():
            archive.writestr(name, source.read(name))
        archive.writestr("word/commentsExtended.xml", extended)
    return out.getvalue()


def send_for(client: Any, version: Version, partner: object, data: bytes | None = None) -> Any:
    return client.post(
        word_url(version),
        {
            "action": "upload",
            "partner": str(partner),
            "file": SimpleUploadedFile("pat.docx", data or with_reply()),
        },
    )


def confirm_all(client: Any, version: Version, **extra: Any) -> Any:
    rows = WordImport.objects.filter(state="waiting").get().proposals
    return client.post(
        word_url(version),
        {"action": "confirm"}
        | {f"include-{r['key']}": "yes" for r in rows}
        | {f"text-{r['key']}": r["text"] for r in rows},
        **extra,
    )


def version_page(user: User, version: Version) -> str:
    url = reverse(
        "version_detail", args=[version.document.study_id, version.document_id, version.number]
    )
    response = client_for(user).get(url)
    assert response.status_code == 200
    return str(response.content.decode())


# --- bringing them in --------------------------------------------------------------------


def test_a_coordinator_adds_a_partners_word_comments_as_the_partners(
    team: StudyTeam, sheet: Version
) -> None:
    client = client_for(team.coordinator)
    form = client.get(word_url(sheet)).content.decode()
    assert "Whose comments are these?" in form
    assert ">Pat Partner</option>" in form

    assert send_for(client, sheet, team.partner.pk).status_code == 302
    waiting = WordImport.objects.get()
    assert (waiting.person, waiting.on_behalf_of) == (team.coordinator, team.partner)
    page = client.get(word_url(sheet)).content.decode()
    assert "These will be added as Pat Partner's comments, entered by you" in page
    assert not Comment.objects.exists()  # nothing until confirmed

    done = confirm_all(client, sheet, follow=True)
    assert "2 comments from Pat Partner&#x27;s Word file were added" in done.content.decode()
    thread = Comment.objects.get(parent__isnull=True)
    # Landed on the page of comments that holds them, at the first.
    ((landed, _status),) = done.redirect_chain
    assert landed.endswith(f"?thread={thread.pk}#thread-{thread.pk}")
    assert f'id="thread-{thread.pk}"' in done.content.decode()
    reply = Comment.objects.get(parent=thread)
    for comment in (thread, reply):
        assert comment.author == team.partner
        assert comment.entered_by == team.coordinator
        assert comment.by_proxy
    assert thread.quote == "five years"
    assert thread.block_id == block_id_of(sheet, "We keep")
    assert reply.body == "My sister asked too."
    # Counted for the partner's review, as if they had typed it.
    assignment = Assignment.objects.get(partner=team.partner)
    assert assignment.state == AssignmentState.IN_PROGRESS
    assert thread.round == assignment.round

    # Shown as entered by proxy, in words, to the partner and to the team.
    for user in (team.researcher, team.coordinator):
        page = version_page(user, sheet)
        assert page.count(f"{NOTE}.") == 2, user
    assert version_page(team.partner, sheet).count(f"{NOTE_TO_PARTNER}.") == 2
    # The partner may change or withdraw them: they are the partner's own.
    partner_page = version_page(team.partner, sheet)
    assert f"/comments/{thread.pk}/edit/" in partner_page


def test_the_partner_hears_that_their_comments_were_added_for_them(
    team: StudyTeam, sheet: Version, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    from portal.notifications.models import Kind, Notification

    client = client_for(team.coordinator)
    send_for(client, sheet, team.partner.pk)
    with django_capture_on_commit_callbacks(execute=True):
        confirm_all(client, sheet)
    thread = Comment.objects.get(parent__isnull=True)
    (notice,) = Notification.objects.filter(kind=Kind.COMMENTS_ENTERED_FOR_YOU)
    assert notice.recipient == team.partner
    assert (
        notice.title
        == f"{team.coordinator.display_name} added 2 comments for you on “{sheet.document.title}”"
    )
    assert f"thread={thread.pk}" in notice.link
    # The coordinator who entered them is not told of what they did.
    assert not Notification.objects.filter(recipient=team.coordinator).exists()

    # Sent once the comments are saved, as every notification is.
    (email,) = [m for m in mail.outbox if m.subject == "Your comments were added for you"]
    assert email.to == [team.partner.email]
    assert "added 2 comments for you" in email.body
    assert "change them or withdraw them" in email.body


def test_a_partners_own_word_comments_bring_them_no_such_notice(
    team: StudyTeam, sheet: Version
) -> None:
    from portal.notifications.models import Kind, Notification

    client = client_for(team.partner)
    send_for(client, sheet, "")
    confirm_all(client, sheet)
    assert Comment.objects.filter(author=team.partner).count() == 2
    assert not Notification.objects.filter(kind=Kind.COMMENTS_ENTERED_FOR_YOU).exists()


def test_the_same_file_brought_in_twice_for_a_partner_adds_nothing_twice(
    team: StudyTeam, sheet: Version
) -> None:
    client = client_for(team.coordinator)
    send_for(client, sheet, team.partner.pk)
    confirm_all(client, sheet)
    assert Comment.objects.count() == 2
    send_for(client, sheet, team.partner.pk)
    if WordImport.objects.filter(state="waiting").exists():
        confirm_all(client, sheet)
    assert Comment.objects.count() == 2
    # Nor when the partner sends the same file themselves afterwards.
    partner = client_for(team.partner)
    partner.post(
        word_url(sheet),
        {"action": "upload", "file": SimpleUploadedFile("mine.docx", with_reply())},
    )
    if WordImport.objects.filter(state="waiting").exists():
        confirm_all(partner, sheet)
    assert Comment.objects.count() == 2


def test_a_partners_own_unsent_comment_survives_a_coordinator_bringing_theirs_in(
    team: StudyTeam, sheet: Version
) -> None:
    from documents.services.comments import NEW_COMMENT_KEY, draft_save

    draft_save(author=team.partner, version=sheet, key=NEW_COMMENT_KEY, body="Half a thought")
    client = client_for(team.coordinator)
    send_for(client, sheet, team.partner.pk)
    confirm_all(client, sheet)
    assert Comment.objects.count() == 2
    assert team.partner.comment_drafts.get().body == "Half a thought"


def test_a_coordinator_may_still_send_their_own_word_comments(
    team: StudyTeam, sheet: Version
) -> None:
    client = client_for(team.coordinator)
    send_for(client, sheet, "")
    assert WordImport.objects.get().on_behalf_of is None
    confirm_all(client, sheet)
    assert Comment.objects.filter(author=team.coordinator, entered_by__isnull=True).count() == 2


# --- who may, and for whom ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["researcher", "partner"])
def test_only_a_coordinator_may_bring_in_comments_for_someone_else(
    team: StudyTeam, sheet: Version, role: str
) -> None:
    other = MembershipFactory(study=team.study, role=Role.PARTNER).user
    client = client_for(getattr(team, role))
    assert "Whose comments are these?" not in client.get(word_url(sheet)).content.decode()
    for partner in (other.pk, team.partner.pk):
        response = send_for(client, sheet, partner)
        assert response.status_code == 403
    assert not WordImport.objects.exists()
    assert not Comment.objects.exists()


def test_a_coordinators_import_cannot_be_confirmed_by_anyone_else(
    team: StudyTeam, sheet: Version
) -> None:
    send_for(client_for(team.coordinator), sheet, team.partner.pk)
    rows = WordImport.objects.get().proposals
    for user in (team.partner, team.researcher):
        client_for(user).post(
            word_url(sheet),
            {"action": "confirm"} | {f"include-{r['key']}": "yes" for r in rows},
        )
    assert not Comment.objects.exists()
    assert WordImport.objects.get().state == "waiting"


@pytest.mark.parametrize("bad", [*BAD_NONEMPTY, "outsider", "researcher", "former"])
def test_anyone_but_a_current_partner_of_this_study_is_refused_plainly(
    team: StudyTeam, sheet: Version, bad: str
) -> None:
    if bad in {"outsider", "researcher"}:
        bad = str(getattr(team, bad).pk)  # another study's partner; not a partner here
    elif bad == "former":
        Membership.objects.filter(user=team.partner, study=team.study).update(
            left_on=timezone.localdate()
        )
        bad = str(team.partner.pk)
    response = send_for(client_for(team.coordinator), sheet, bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page
    assert "Choose one of this study&#x27;s partners." in page
    assert not WordImport.objects.exists()
    assert not Comment.objects.exists()


def test_a_partner_who_left_before_the_comments_were_added_gets_none(
    team: StudyTeam, sheet: Version
) -> None:
    client = client_for(team.coordinator)
    send_for(client, sheet, team.partner.pk)
    Membership.objects.filter(user=team.partner, study=team.study).update(
        left_on=timezone.localdate()
    )
    response = confirm_all(client, sheet, follow=True)
    assert "Pat Partner is no longer a partner in this study" in response.content.decode()
    assert not Comment.objects.exists()


# --- the partner's rules -----------------------------------------------------------------


def test_after_the_partners_deadline_nothing_is_added_and_the_comments_wait(
    team: StudyTeam, sheet: Version
) -> None:
    client = client_for(team.coordinator)
    send_for(client, sheet, team.partner.pk)
    ReviewRound.objects.update(
        opens_at=timezone.now() - timedelta(days=2), deadline=timezone.now() - timedelta(hours=1)
    )
    response = confirm_all(client, sheet, follow=True)
    assert "Pat Partner&#x27;s review closed on" in response.content.decode()
    assert not Comment.objects.exists()
    assert WordImport.objects.get().state == "waiting"
    # Once the deadline is extended, the same comments go in.
    ReviewRound.objects.update(deadline=timezone.now() + timedelta(days=1))
    confirm_all(client, sheet)
    assert Comment.objects.filter(author=team.partner, entered_by=team.coordinator).count() == 2


def test_a_partner_not_asked_to_review_gets_no_comments_entered(team: StudyTeam) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    client = client_for(team.coordinator)
    send_for(client, version, team.partner.pk)
    response = confirm_all(client, version, follow=True)
    assert "This version is not open for" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_finished_independent_review_takes_no_new_comments_for_the_partner(
    team: StudyTeam,
) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    open_round(version, by=team.coordinator, independent=True)
    Assignment.objects.update(state=AssignmentState.FINISHED)
    client = client_for(team.coordinator)
    send_for(client, version, team.partner.pk)
    response = confirm_all(client, version, follow=True)
    assert "has finished this independent review" in response.content.decode()
    assert not Comment.objects.exists()


def test_the_service_never_marks_a_persons_own_comment_as_by_proxy(
    team: StudyTeam, sheet: Version
) -> None:
    mine = comment_create(
        version=sheet,
        author=team.partner,
        body="Typed myself.",
        block_id=None,
        selectors=[],
        visibility="members",
        is_team=False,
        entered_by=team.partner,
    )
    reply = comment_reply(thread=mine, author=team.partner, body="And this.", entered_by=None)
    assert mine.entered_by is None
    assert not mine.by_proxy
    assert reply.entered_by is None


# --- shown everywhere --------------------------------------------------------------------


@pytest.fixture
def entered(team: StudyTeam, sheet: Version) -> Comment:
    client = client_for(team.coordinator)
    send_for(client, sheet, team.partner.pk)
    confirm_all(client, sheet)
    return Comment.objects.get(parent__isnull=True)


def ysdw(user: User, version: Version, kind: str | None = None) -> Any:
    url = reverse("you_said_we_did", args=[version.document.study_id, version.document_id])
    return client_for(user).get(url, {"format": kind} if kind else {})


def test_the_you_said_we_did_page_and_downloads_say_who_entered_it(
    team: StudyTeam, sheet: Version, entered: Comment
) -> None:
    from documents.services.comments import comment_create as create

    create(
        version=sheet,
        author=team.partner,
        body="Typed myself.",
        block_id=None,
        selectors=[],
        visibility="members",
        is_team=False,
    )
    assert NOTE_TO_PARTNER in ysdw(team.partner, sheet).content.decode()
    assert NOTE in ysdw(team.researcher, sheet).content.decode()

    text = ysdw(team.coordinator, sheet, "csv").content.decode("utf-8")[1:]
    header, *rows = list(csv.reader(io.StringIO(text)))
    column = header.index("Entered by proxy")
    by_comment = {row[header.index("Comment")]: row for row in rows}
    assert by_comment["Why so long?"][column] == NOTE
    assert by_comment["Why so long?"][header.index("By")] == "Pat Partner"
    assert by_comment["Typed myself."][column] == ""

    book = load_workbook(io.BytesIO(ysdw(team.coordinator, sheet, "xlsx").content))
    sheet_rows = list(book.active.iter_rows(values_only=True))
    assert list(sheet_rows[0]) == header
    found = {row[header.index("Comment")]: row[column] for row in sheet_rows[1:]}
    assert found["Why so long?"] == NOTE
    assert found["Typed myself."] in (None, "")


def test_the_web_annotation_says_who_entered_it_beside_the_words(
    team: StudyTeam, sheet: Version, entered: Comment
) -> None:
    from tests.documents.web_annotation_model import check_collection

    url = reverse(
        "version_annotations", args=[sheet.document.study_id, sheet.document_id, sheet.number]
    )
    data = json.loads(client_for(team.partner).get(url).content)
    assert check_collection(data) == []
    items = data["first"]["items"]
    comment = next(i for i in items if i["motivation"] == "commenting")
    assert comment["creator"]["name"] == "Pat Partner"
    words, note = comment["body"]
    assert (words["value"], words["purpose"]) == ("Why so long?", "commenting")
    assert (note["value"], note["purpose"]) == (NOTE, "describing")
    reply = next(i for i in items if i["motivation"] == "replying")
    assert [body["value"] for body in reply["body"]] == ["My sister asked too.", NOTE]


def test_the_word_copy_says_who_entered_it_and_brings_in_nothing_twice(
    team: StudyTeam, sheet: Version, entered: Comment
) -> None:
    url = word_url(sheet).replace("word/comments/", "word/")
    data = client_for(team.partner).get(url).content
    texts = [p.comment.text for p in propose(data, version_blocks(sheet))]
    assert f"({NOTE}.)\n\nWhy so long?" in texts
    assert f"({NOTE}.)\n\nMy sister asked too." in texts
    coordinator = client_for(team.coordinator)
    again = send_for(coordinator, sheet, team.partner.pk, data)
    # Everything in it is here already: nothing is offered, and the coordinator is told so.
    assert again.status_code == 302
    assert not WordImport.objects.filter(state="waiting").exists()
    told = coordinator.get(again["Location"]).content.decode()
    assert "is already in the portal, so there is nothing new to add" in told


def test_the_team_pages_say_who_entered_it(team: StudyTeam, entered: Comment) -> None:
    client = client_for(team.researcher)
    unanswered = client.get(reverse("comments_unanswered", args=[team.study.pk]))
    assert f"{NOTE}." in unanswered.content.decode()
    respond = client.get(reverse("comment_respond", args=[team.study.pk, entered.pk]))
    assert f"{NOTE}." in respond.content.decode()


def test_the_partners_own_record_says_the_team_entered_it(
    team: StudyTeam, entered: Comment
) -> None:
    response = client_for(team.partner).get(reverse("personal_data_json"))
    data = json.loads(response.content)
    flags = {c["text"]: c["entered_by_the_team"] for c in data["comments"]}
    assert flags == {"Why so long?": True, "My sister asked too.": True}
    (sent,) = data["word_imports"]
    assert sent["sent_for_you_by_the_team"] is True


def test_a_thread_is_drawn_again_when_who_entered_it_changes_name(
    team: StudyTeam, sheet: Version, entered: Comment
) -> None:
    assert NOTE_TO_PARTNER in version_page(team.partner, sheet)
    User.objects.filter(pk=team.coordinator.pk).update(display_name="Cora C. Lead")
    page = version_page(team.partner, sheet)
    assert NOTE_TO_PARTNER not in page
    assert "Entered for you by Cora C. Lead." in page
    assert "Entered by Cora C. Lead on behalf of Pat Partner." in version_page(
        team.researcher, sheet
    )


def test_comments_entered_by_proxy_cost_the_version_page_no_more_queries(
    team: StudyTeam, sheet: Version
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(version: Version) -> int:
        client = client_for(team.partner)
        client.get("/")
        url = reverse(
            "version_detail",
            args=[version.document.study_id, version.document_id, version.number],
        )
        client.get(url)  # threads drawn and kept
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def fill(version: Version, entered_by: User | None) -> None:
        for n in range(6):
            thread = Comment.objects.create(
                version=version,
                author=team.partner,
                entered_by=entered_by,
                body=f"Comment {n}",
                round=version.rounds.first(),
            )
            Comment.objects.create(
                version=version,
                parent=thread,
                author=team.partner,
                entered_by=entered_by,
                body=f"Reply {n}",
            )

    plain = ready_version(study=team.study, by=team.coordinator, paragraphs=PARAGRAPHS)
    open_round(plain, by=team.coordinator)
    fill(plain, None)
    fill(sheet, team.coordinator)
    assert count(sheet) == count(plain)
    assert version_page(team.partner, sheet).count(NOTE_TO_PARTNER) == 12


def test_a_comment_cannot_be_entered_by_its_own_author(team: StudyTeam, sheet: Version) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.create(
            version=sheet, author=team.partner, entered_by=team.partner, body="Mine."
        )


def test_word_paragraphs_reach_the_right_block(sheet: Version) -> None:
    # The helper file is read as a copy of the sheet: its comment lands on "five years".
    proposals = propose(with_reply(), version_blocks(sheet))
    assert [p.comment.text for p in proposals] == ["Why so long?", "My sister asked too."]
    assert proposals[1].comment.parent == proposals[0].comment.key


def test_erasing_the_partner_keeps_their_comments_and_removes_the_file_brought_in(
    team: StudyTeam, sheet: Version, entered: Comment
) -> None:
    from portal.home.privacy.services import person_erase

    client = client_for(team.coordinator)
    send_for(client, sheet, team.partner.pk)  # a second copy, still waiting
    assert WordImport.objects.filter(on_behalf_of=team.partner).count() == 2
    person_erase(person=team.partner, by=team.coordinator)
    assert not WordImport.objects.filter(on_behalf_of=team.partner).exists()
    kept = Comment.objects.get(pk=entered.pk)
    assert kept.entered_by == team.coordinator
    page = version_page(team.coordinator, sheet)
    assert "Entered by Cora Coordinator on behalf of Former partner" in page
    assert "Pat Partner" not in page


def test_who_entered_a_reply_is_not_told_of_it_but_the_conversation_is(
    team: StudyTeam, sheet: Version
) -> None:
    from portal.notifications.models import Kind, Notification

    asked = comment_create(
        version=sheet,
        author=team.coordinator,
        body="Is the visit day right?",
        block_id=None,
        selectors=[],
        visibility="members",
        is_team=True,
    )
    comment_reply(thread=asked, author=team.researcher, body="Tuesdays, yes.")
    comment_reply(
        thread=asked, author=team.partner, body="Fine for me.", entered_by=team.coordinator
    )
    told = set(
        Notification.objects.filter(kind=Kind.THREAD_REPLY).values_list("recipient", flat=True)
    )
    assert team.researcher.pk in told
    assert not Notification.objects.filter(
        kind=Kind.THREAD_REPLY, recipient=team.coordinator, title__contains="Pat Partner"
    ).exists()
