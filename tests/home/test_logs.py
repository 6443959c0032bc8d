"""Partners' involvement logs: what the PDF says, who may make and see one, and checking it."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape

from documents.models import Comment, Document, Outcome, Response, ThreadState, Version
from documents.services.comments import thread_reopen
from engagement.models import Contribution, ContributionState, ExpenseLine, Stage, Study
from portal.accounts.models import Acknowledgement, Profile
from portal.home.logs.content import LogScope, log_content
from portal.home.logs.services import (
    code_normalise,
    log_build,
    log_request,
    logs_expire,
    verify_url,
)
from portal.home.models import InvolvementLog, LogState
from portal.notifications.models import Kind, Notification
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import ready_version, thread
from tests.factories import MembershipFactory
from tests.home.pdfs import font_names, outline_titles, pdf_lines, pdf_text, save_artefact
from tests.time_text import as_shown

TODAY = dt.date(2026, 11, 20)


def approved(
    team: StudyTeam,
    *,
    on: dt.date,
    minutes: int = 90,
    stage: Stage | None = None,
    study: Study | None = None,
    state: str = ContributionState.APPROVED,
    **fields: Any,
) -> Contribution:
    study = study or team.study
    return Contribution.objects.create(
        partner=team.partner,
        study=study,
        stage=stage or study.stages.order_by("position").first(),
        activity_type=fields.pop("activity_type", "meeting"),
        activity_date=on,
        minutes=minutes,
        what_they_did=fields.pop("what_they_did", "Steering group meeting"),
        state=state,
        decided_by=team.coordinator,
        decided_at=timezone.now(),
        **fields,
    )


@pytest.fixture
def record(team: StudyTeam) -> dict[str, Any]:
    """Two approved contributions, a draft, one outside the period, and answered comments."""
    stages = list(team.study.stages.order_by("position"))
    first = approved(
        team,
        on=dt.date(2026, 3, 4),
        minutes=90,
        stage=stages[2],
        what_they_did="Read the protocol and asked about travel costs",
        what_changed="Travel is now paid in advance",
        impact_standards=["inclusive_opportunities", "impact"],
        payment_due="37.50",
    )
    ExpenseLine.objects.create(contribution=first, expense_type="travel", amount="4.20")
    approved(
        team,
        on=dt.date(2026, 6, 9),
        minutes=45,
        stage=stages[5],
        activity_type="co_authoring",
        what_they_did="Co-wrote the lay summary",
        state=ContributionState.PAID,
    )
    approved(team, on=dt.date(2026, 6, 10), what_they_did="A draft nobody approved", state="draft")
    approved(team, on=dt.date(2024, 1, 2), what_they_did="Long before the period")
    version = ready_version(
        study=team.study, by=team.coordinator, paragraphs=["You can stop at any time."]
    )
    document = version.document
    later = Version.objects.create(
        document=document, number=2, original_name="v2.md", uploaded_by=team.coordinator
    )
    said = thread(
        version, team.partner, "Say what happens to my samples", block_id="b1", exact="stop"
    )
    Response.objects.create(
        comment=said,
        outcome=Outcome.CHANGED,
        body="We added a paragraph on samples",
        changed_in=later,
        author=team.researcher,
        published_at=timezone.now(),
    )
    Comment.objects.filter(pk=said.pk).update(state=ThreadState.ANSWERED)  # as publishing does
    unpublished = thread(version, team.partner, "Is there parking?")
    Response.objects.create(
        comment=unpublished,
        outcome=Outcome.NO_CHANGE_NEEDED,
        body="Draft answer not yet sent",
        author=team.researcher,
    )
    return {"stages": stages, "document": document}


def this_year(team: StudyTeam, *, include_payments: bool = False) -> LogScope:
    """The partner's log of the study from 1 January 2026 to today."""
    return LogScope(
        holder=team.partner,
        start=dt.date(2026, 1, 1),
        end=timezone.localdate(),
        study_ids=(team.study.pk,),
        include_payments=include_payments,
    )


def log_form(team: StudyTeam, **overrides: Any) -> dict[str, Any]:
    return {
        "start": "2026-01-01",
        "end": timezone.localdate().isoformat(),
        "studies": [team.study.pk],
        **overrides,
    }


def read(response: Any, client: Any = None) -> pypdf.PdfReader:
    """The PDF a log request led to: the page it lands on starts the download by itself."""
    if response.status_code == 302:
        assert client is not None
        page = client.get(response["Location"])
        download = reverse("log_download", args=[page.context["log"].pk])
        assert f'http-equiv="refresh" content="0;url={download}"' in page.content.decode()
        pdf = client.get(download)
        assert pdf["Content-Type"] == "application/pdf"
        assert "attachment" in pdf["Content-Disposition"]
        # Reading it to the end closes it, as a server would; closing it again here would
        # also close the test's database connection.
        response.pdf = b"".join(pdf.streaming_content)
    else:
        response.pdf = b"".join(response.streaming_content)
    return pypdf.PdfReader(io.BytesIO(response.pdf))


def test_a_partner_gets_their_log_as_an_accessible_pdf(
    team: StudyTeam, record: dict[str, Any], tmp_path: Path
) -> None:
    team.partner.display_name = "Zoë Łukasz"
    team.partner.save()
    client = client_for(team.partner)
    response = client.post(reverse("log_new"), log_form(team))
    log = InvolvementLog.objects.get()
    # Printed at once: the log's page starts the download and lists it.
    assert response.status_code == 302
    assert response["Location"] == reverse("log_detail", args=[log.pk])
    reader = read(response, client)
    # The download starts once: not again on a reload.
    again = client.get(reverse("log_detail", args=[log.pk])).content.decode()
    assert 'http-equiv="refresh"' not in again
    log.refresh_from_db()
    assert log.state == LogState.READY
    assert log.digest == hashlib.sha256(response.pdf).hexdigest()
    text = pdf_text(response.pdf, tmp_path)

    # The cover: the name, the period, the study, the code and where to check it.
    assert "Involvement log of Zoë Łukasz" in text
    assert f"1 January 2026 to {date_format(timezone.localdate(), 'j F Y')}" in text
    assert "Living well" in text
    assert f"Date of issue {date_format(timezone.localdate(log.issued_at), 'j F Y')}" in text
    assert log.code in text
    assert f"go to {verify_url()} and enter the code" in text
    # Summary by study and stage: the two approved contributions, 2 h 15 min in all.
    stages = record["stages"]
    assert stages[2].name in text
    assert stages[5].name in text
    assert "2 h 15 min over 2 activities" in text
    lines = pdf_lines(response.pdf)
    summary = lines.index("Study Stage Activities Time")
    assert lines[summary + 1 : summary + 4] == [
        as_shown(f"Living well {stages[2].name} 1 1 h 30 min"),
        as_shown(f"Living well {stages[5].name} 1 45 min"),
        as_shown("Total 2 2 h 15 min"),
    ]
    assert as_shown(f"4 Mar 2026 · Meeting, 1 h 30 min · {stages[2].name}") in lines
    assert as_shown(f"9 Jun 2026 · Co-authoring, 45 min · {stages[5].name}") in lines
    # The chronological list with what changed and the UK Standards tags.
    assert text.index("Read the protocol") < text.index("Co-wrote the lay summary")
    assert "Travel is now paid in advance" in text
    assert "Inclusive opportunities, Impact" in text
    assert "A draft nobody approved" not in text
    assert "Long before the period" not in text
    # "You said, we did": the answered comment, its outcome and the version with the change.
    assert "Say what happens to my samples" in text
    assert "We added a paragraph on samples" in text
    assert "Changed — in version 2" in text
    assert "Draft answer not yet sent" not in text
    assert "Not answered yet" in text
    # A statement for a CV, and no money unless asked for.
    assert "was a public involvement partner in 1 study, giving 2 h 15 min to 2 activities" in text
    assert "£37.50" not in text
    assert "Payments" not in outline_titles(reader)

    # Tagged PDF/UA with its metadata, bookmarks and the project's font.
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert reader.metadata.title == "Involvement log of Zoë Łukasz"
    assert reader.metadata.author == "Zoë Łukasz"
    titles = outline_titles(reader)
    for section in (
        "Statement of involvement",
        "Summary by study and stage",
        "Contributions",
        "Comments and what the team did",
        "About this log",
    ):
        assert section in titles
    assert any("Atkinson-Hyperlegible" in name for name in font_names(reader))
    assert f"Page 1 of {len(reader.pages)}" in text
    assert save_artefact(response.pdf, "involvement-log"), "no PNG pages were rendered"


def test_payments_are_in_the_log_only_when_asked_for(
    team: StudyTeam, record: dict[str, Any], tmp_path: Path
) -> None:
    client = client_for(team.partner)
    response = client.post(reverse("log_new"), log_form(team, include_payments="on"))
    reader = read(response, client)
    text = pdf_text(response.pdf, tmp_path)
    assert "Payments" in outline_titles(reader)
    assert "£37.50" in text
    assert "£4.20" in text
    assert "£37.50 £4.20 £41.70" in text  # for time, expenses and their total, on one row
    assert InvolvementLog.objects.get().include_payments is True


def test_a_log_with_nothing_approved_says_so(team: StudyTeam, tmp_path: Path) -> None:
    client = client_for(team.partner)
    response = client.post(reverse("log_new"), log_form(team))
    read(response, client)
    text = pdf_text(response.pdf, tmp_path)
    assert "No approved contributions are recorded for this period" in text
    assert "has no approved involvement recorded" in text


def test_an_end_before_the_start_gives_the_form_again(team: StudyTeam) -> None:
    response = client_for(team.partner).post(
        reverse("log_new"), log_form(team, start="2026-05-01", end="2026-04-01")
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert "must be on or after" in response.content.decode()
    assert not InvolvementLog.objects.exists()


def test_a_study_that_is_not_theirs_cannot_be_chosen(team: StudyTeam) -> None:
    response = client_for(team.partner).post(
        reverse("log_new"), log_form(team, studies=[team.other_study.pk])
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not InvolvementLog.objects.exists()


def test_someone_elses_log_is_not_found(team: StudyTeam, record: dict[str, Any]) -> None:
    client_for(team.partner).post(reverse("log_new"), log_form(team))
    log = InvolvementLog.objects.get()
    for user in (team.outsider, team.researcher):
        client = client_for(user)
        for name in ("log_detail", "log_download"):
            assert client.get(reverse(name, args=[log.pk])).status_code == 404
        assert client.post(reverse("log_withdraw", args=[log.pk])).status_code == 404
    log.refresh_from_db()
    assert log.withdrawn_at is None
    # The study's coordinator may see it: they can make and withdraw logs for its partners.
    assert client_for(team.coordinator).get(reverse("log_detail", args=[log.pk])).status_code == 200


def test_a_coordinator_makes_the_log_for_a_partner_and_it_says_so(
    team: StudyTeam, record: dict[str, Any], tmp_path: Path
) -> None:
    url = reverse("partner_log_new", args=[team.study.pk, team.partner.pk])
    page = client_for(team.coordinator).get(url)
    assert page.status_code == 200
    assert "Living well" in page.content.decode()
    client = client_for(team.coordinator)
    response = client.post(url, log_form(team))
    reader = read(response, client)
    text = pdf_text(response.pdf, tmp_path)
    assert f"Involvement log of {team.partner.display_name}" in text
    assert f"Cora Coordinator, study coordinator, on behalf of {team.partner.display_name}" in text
    assert reader.metadata.author == "Cora Coordinator"
    log = InvolvementLog.objects.get()
    assert log.holder == team.partner
    assert log.produced_by == team.coordinator
    # The partner sees it among their own logs.
    own = client_for(team.partner).get(reverse("log_new")).content.decode()
    assert reverse("log_detail", args=[log.pk]) in own
    assert "by Cora Coordinator" in own


def test_a_coordinator_cannot_make_a_log_for_someone_outside_the_study(team: StudyTeam) -> None:
    url = reverse("partner_log_new", args=[team.study.pk, team.outsider.pk])
    assert client_for(team.coordinator).get(url).status_code == 404
    url = reverse("partner_log_new", args=[team.study.pk, team.researcher.pk])
    assert client_for(team.coordinator).get(url).status_code == 404


# --- verification ---------------------------------------------------------------


@pytest.fixture
def issued(team: StudyTeam, record: dict[str, Any]) -> InvolvementLog:
    scope = LogScope(
        holder=team.partner,
        start=dt.date(2026, 1, 1),
        end=timezone.localdate(),
        study_ids=(team.study.pk,),
    )
    log = log_build(log_request(scope=scope, by=team.partner))
    assert log.state == LogState.READY, log.failure
    return log


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def test_the_public_page_confirms_a_genuine_log_and_nothing_more(
    client: Any, issued: InvolvementLog, team: StudyTeam
) -> None:
    response = client.get(reverse("log_verify_code", args=[issued.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This is a genuine involvement log" in page
    assert escape(team.partner.display_name) in page
    assert f"1 January 2026 to {date_format(timezone.localdate(), 'j F Y')}" in page
    assert issued.digest in page
    assert timezone.localdate().strftime("%B %Y").lstrip("0") in page
    # Nothing of the involvement itself: not the study, the hours or the comments.
    assert "Living well" not in page
    assert "Steering group" not in page
    assert "samples" not in page
    assert team.partner.email not in page


def test_a_code_is_found_however_it_is_typed(client: Any, issued: InvolvementLog) -> None:
    typed = issued.code.lower().replace("-", " ").replace("0", "o")
    response = client.get(reverse("log_verify"), {"code": typed})
    assert response.status_code == 200
    assert issued.digest in response.content.decode()
    assert code_normalise(typed) == issued.code


@pytest.mark.parametrize("kind", ["unknown", "tampered", "malformed"])
def test_a_code_that_is_not_a_log_gets_the_same_not_found_page(
    client: Any, issued: InvolvementLog, kind: str
) -> None:
    code = {
        "unknown": "0000-0000-0000-0000-0000",
        "tampered": issued.code[:-1] + ("A" if issued.code[-1] != "A" else "B"),
        "malformed": "<script>alert(1)</script>",
    }[kind]
    response = client.get(reverse("log_verify"), {"code": code})
    assert response.status_code == 404
    page = response.content.decode()
    assert "No log has this code" in page
    assert issued.digest not in page
    assert "<script>alert(1)</script>" not in page
    path_response = client.get(reverse("log_verify_code", args=["0000-0000-0000-0000-0000"]))
    assert path_response.status_code == 404
    assert "No log has this code" in path_response.content.decode()


def test_a_withdrawn_log_says_so(client: Any, issued: InvolvementLog, team: StudyTeam) -> None:
    withdrawn = client_for(team.partner).post(reverse("log_withdraw", args=[issued.pk]))
    assert withdrawn.status_code == 302
    page = client.get(reverse("log_verify_code", args=[issued.code])).content.decode()
    assert "This log was withdrawn" in page
    assert "This is a genuine involvement log" not in page
    issued.refresh_from_db()
    assert issued.withdrawn_by == team.partner
    assert not issued.file
    # Nothing withdrawn can be downloaded.
    download = client_for(team.partner).get(reverse("log_download", args=[issued.pk]))
    assert download.status_code == 302


def test_a_coordinator_can_withdraw_a_partners_log(
    issued: InvolvementLog, team: StudyTeam, client: Any
) -> None:
    client_for(team.coordinator).post(reverse("log_withdraw", args=[issued.pk]))
    issued.refresh_from_db()
    assert issued.withdrawn_by == team.coordinator


def test_checking_codes_is_rate_limited(client: Any, issued: InvolvementLog, settings: Any) -> None:
    settings.LOG_VERIFY_RATE = "3/m"
    statuses = [
        client.get(reverse("log_verify"), {"code": "0000-0000-0000-0000-000" + str(n)}).status_code
        for n in range(3)
    ]
    assert statuses == [404, 404, 404]
    blocked = client.get(reverse("log_verify_code", args=[issued.code]))
    assert blocked.status_code == 429
    assert "Too many checks" in blocked.content.decode()
    assert issued.digest not in blocked.content.decode()


def test_codes_are_unguessable_and_unique(team: StudyTeam, record: dict[str, Any]) -> None:
    scope = LogScope(holder=team.partner, start=TODAY, end=TODAY, study_ids=(team.study.pk,))
    codes = {log_request(scope=scope, by=team.partner).code for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert len(code.replace("-", "")) == 20
        assert code_normalise(code) == code


# --- long logs, failures and keeping files ---------------------------------------


def test_a_long_log_is_built_in_the_background_and_announced(
    team: StudyTeam,
    record: dict[str, Any],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.LOG_BUILD_NOW_MAX_ENTRIES = 1
    client = client_for(team.partner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("log_new"), log_form(team))
    log = InvolvementLog.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("log_detail", args=[log.pk])
    # Until the worker has run, the page says it is being made and polls for itself.
    waiting = client.get(reverse("log_detail", args=[log.pk]), HTTP_HX_REQUEST="true")
    assert "The log is being made" in waiting.content.decode()
    assert 'hx-trigger="every 3s"' in waiting.content.decode()
    assert "<html" not in waiting.content.decode()
    for callback in callbacks:
        callback()
    log.refresh_from_db()
    assert log.state == LogState.READY
    ready = client.get(reverse("log_detail", args=[log.pk]), HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in ready.content.decode()
    assert reverse("log_download", args=[log.pk]) in ready.content.decode()
    download = client.get(reverse("log_download", args=[log.pk]))
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == log.digest
    notice = Notification.objects.get(recipient=team.partner, kind=Kind.LOG_READY)
    assert notice.link == reverse("log_detail", args=[log.pk])
    assert "ready" in notice.title


def test_a_failed_build_is_told_and_can_be_tried_again(
    team: StudyTeam, record: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import portal.home.logs.services as services

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise services.PdfUnavailable("The font files are missing.")

    monkeypatch.setattr(services, "pdf_render", broken)
    client = client_for(team.partner)
    response = client.post(reverse("log_new"), log_form(team))
    log = InvolvementLog.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("log_detail", args=[log.pk])).content.decode()
    assert "The log could not be made." in page
    assert "The font files are missing." in page
    assert reverse("log_retry", args=[log.pk]) in page
    # Nothing half-made is offered.
    assert not log.file
    assert client.get(reverse("log_download", args=[log.pk])).status_code == 302
    monkeypatch.undo()
    client.post(reverse("log_retry", args=[log.pk]))
    log.refresh_from_db()
    assert log.state == LogState.READY
    assert log.file


def test_without_weasyprint_the_person_is_told_plainly(
    team: StudyTeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    import portal.home.logs.views as views

    monkeypatch.setattr(views, "pdf_problem", lambda: "PDFs cannot be made on this server.")
    client = client_for(team.partner)
    assert "PDFs cannot be made on this server." in client.get(reverse("log_new")).content.decode()
    response = client.post(reverse("log_new"), log_form(team))
    assert response.status_code == 503
    assert "PDFs cannot be made on this server." in response.content.decode()
    assert not InvolvementLog.objects.exists()


def test_built_files_are_removed_after_the_keeping_time_but_the_code_still_checks(
    issued: InvolvementLog, client: Any, team: StudyTeam, settings: Any
) -> None:
    settings.LOG_KEEP_DAYS = 30
    path = Path(issued.file.path)
    assert path.exists()
    assert logs_expire(now=timezone.now() + dt.timedelta(days=29)) == 0
    assert logs_expire(now=timezone.now() + dt.timedelta(days=31)) == 1
    issued.refresh_from_db()
    assert not path.exists()
    assert issued.file_removed_at is not None
    page = client.get(reverse("log_verify_code", args=[issued.code])).content.decode()
    assert "This is a genuine involvement log" in page
    detail = client_for(team.partner).get(reverse("log_detail", args=[issued.pk])).content.decode()
    assert "The file was removed 30 days after it was made" in detail


def test_a_build_whose_worker_died_is_failed_so_it_can_be_retried(
    team: StudyTeam, settings: Any
) -> None:
    scope = LogScope(holder=team.partner, start=TODAY, end=TODAY, study_ids=(team.study.pk,))
    log = log_request(scope=scope, by=team.partner)
    InvolvementLog.objects.filter(pk=log.pk).update(
        build_started_at=timezone.now() - dt.timedelta(minutes=settings.LOG_BUILD_STUCK_MINUTES + 1)
    )
    logs_expire()
    log.refresh_from_db()
    assert log.state == LogState.FAILED
    assert "too long" in log.failure
    # Whoever asked hears that it failed, rather than waiting for ever.
    notice = Notification.objects.get(recipient=team.partner, kind=Kind.LOG_READY)
    assert "could not be made" in notice.title


def test_the_log_reads_the_records_in_a_fixed_number_of_queries(
    team: StudyTeam, record: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    scope = this_year(team, include_payments=True)
    with django_assert_max_num_queries(6):
        small = log_content(scope)
    for n in range(30):
        approved(team, on=dt.date(2026, 5, 1 + n % 28), what_they_did=f"Meeting {n}")
        thread(Document.objects.get().versions.get(number=1), team.partner, f"Comment {n}")
    with django_assert_max_num_queries(6):
        big = log_content(scope)
    assert big.activities == small.activities + 30
    assert len(big.comments) == len(small.comments) + 30


def test_an_answer_the_partner_reopened_is_logged_as_reopened(
    team: StudyTeam, record: dict[str, Any]
) -> None:
    scope = this_year(team)
    said = Comment.objects.get(body="Say what happens to my samples")
    (before,) = [line for line in log_content(scope).comments if line.body == said.body]
    assert before.outcome == "Changed"
    thread_reopen(thread=said, by=team.partner, note="Only part of it is answered.")
    (after,) = [line for line in log_content(scope).comments if line.body == said.body]
    assert after.outcome == "Changed, then reopened by the partner"
    assert after.answer == "We added a paragraph on samples"


def test_the_name_on_the_log_is_the_partners_own_even_when_anonymous_in_reports(
    team: StudyTeam, record: dict[str, Any], tmp_path: Path
) -> None:
    Profile.objects.update_or_create(
        user=team.partner, defaults={"acknowledgement": Acknowledgement.ANONYMOUS}
    )
    MembershipFactory(study=team.other_study, user=team.coordinator, role=Role.COORDINATOR)
    client = client_for(team.partner)
    response = client.post(reverse("log_new"), log_form(team))
    read(response, client)
    text = pdf_text(response.pdf, tmp_path)
    # Their own record names them; nobody else's name but the team's is in it.
    assert f"Involvement log of {team.partner.display_name}" in text
    assert team.outsider.display_name not in text


def test_the_log_is_offered_from_your_involvement_and_from_a_partners_page(
    team: StudyTeam,
) -> None:
    own = client_for(team.partner).get(reverse("my_involvement")).content.decode()
    assert reverse("log_new") in own
    partner_page = reverse("partner_involvement", args=[team.study.pk, team.partner.pk])
    make = reverse("partner_log_new", args=[team.study.pk, team.partner.pk])
    assert make in client_for(team.coordinator).get(partner_page).content.decode()
    # A researcher sees the partner's involvement but does not make logs for them.
    assert make not in client_for(team.researcher).get(partner_page).content.decode()


def test_behind_the_proxy_the_limit_counts_the_address_the_proxy_added(
    rf: Any, settings: Any
) -> None:
    from portal.http import client_ip

    request = rf.get(
        "/verify/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.2"
    )
    settings.BEHIND_PROXY = True
    assert client_ip(request) == "203.0.113.9"
    settings.BEHIND_PROXY = False
    assert client_ip(request) == "10.0.0.2"


def test_a_long_log_repeats_its_table_headers_and_numbers_every_page(
    team: StudyTeam, tmp_path: Path
) -> None:
    for n in range(120):
        approved(
            team,
            on=dt.date(2026, 1, 1) + dt.timedelta(days=n),
            what_they_did=f"Advisory group meeting number {n}, reading the papers beforehand",
            payment_due="25.00",
        )
    client = client_for(team.partner)
    response = client.post(reverse("log_new"), log_form(team, include_payments="on"))
    reader = read(response, client)
    assert len(reader.pages) >= 4
    path = tmp_path / "long.pdf"
    path.write_bytes(response.pdf)
    pages_with_payments = 0
    for number in range(1, len(reader.pages) + 1):
        text = pdf_text_of_page(path, number)
        assert f"Page {number} of {len(reader.pages)}" in text
        if "£25.00" in text:
            assert "For time" in text, f"page {number} has no header"
            assert "Expenses" in text, f"page {number} has no header"
            pages_with_payments += 1
    assert pages_with_payments >= 2
    # Entries are listed oldest first across the pages, each once.
    everything = pdf_text(response.pdf, tmp_path)
    positions = [everything.index(f"meeting number {n},") for n in range(120)]
    assert positions == sorted(positions)


def pdf_text_of_page(path: Path, number: int) -> str:
    import subprocess

    result = subprocess.run(
        ["pdftotext", "-f", str(number), "-l", str(number), str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    )
    return " ".join(result.stdout.split())


def test_a_coordinator_of_only_one_of_its_studies_cannot_see_a_log(
    team: StudyTeam, record: dict[str, Any]
) -> None:
    # The partner is in a second study too, run by someone else; their log covers both.
    MembershipFactory(study=team.other_study, user=team.partner, role=Role.PARTNER)
    client_for(team.partner).post(
        reverse("log_new"), log_form(team, studies=[team.study.pk, team.other_study.pk])
    )
    log = InvolvementLog.objects.get()
    coordinator = client_for(team.coordinator)
    for name in ("log_detail", "log_download", "log_withdraw"):
        assert coordinator.get(reverse(name, args=[log.pk])).status_code == 404
    assert coordinator.post(reverse("log_withdraw", args=[log.pk])).status_code == 404
    listed = coordinator.get(reverse("partner_log_new", args=[team.study.pk, team.partner.pk]))
    assert reverse("log_detail", args=[log.pk]) not in listed.content.decode()
    log.refresh_from_db()
    assert log.withdrawn_at is None


def test_withdrawing_asks_first_and_the_holder_hears_when_someone_else_did_it(
    team: StudyTeam, issued: InvolvementLog
) -> None:
    coordinator = client_for(team.coordinator)
    ask = coordinator.get(reverse("log_withdraw", args=[issued.pk]))
    assert ask.status_code == 200
    assert "This cannot be undone." in ask.content.decode()
    issued.refresh_from_db()
    assert issued.withdrawn_at is None
    coordinator.post(reverse("log_withdraw", args=[issued.pk]))
    notice = Notification.objects.get(recipient=team.partner, kind=Kind.LOG_WITHDRAWN)
    assert "Cora Coordinator withdrew your involvement log" in notice.text_body
    page = client_for(team.partner).get(reverse("log_detail", args=[issued.pk])).content.decode()
    assert "by Cora Coordinator" in page


def test_the_holder_withdrawing_their_own_log_is_not_told_about_it(
    team: StudyTeam, issued: InvolvementLog
) -> None:
    client_for(team.partner).post(reverse("log_withdraw", args=[issued.pk]))
    assert not Notification.objects.filter(kind=Kind.LOG_WITHDRAWN).exists()


def test_a_partner_hears_that_a_coordinator_made_a_log_for_them(
    team: StudyTeam, record: dict[str, Any]
) -> None:
    url = reverse("partner_log_new", args=[team.study.pk, team.partner.pk])
    client = client_for(team.coordinator)
    landed = client.get(client.post(url, log_form(team))["Location"]).content.decode()
    log = InvolvementLog.objects.get()
    notice = Notification.objects.get(recipient=team.partner, kind=Kind.LOG_MADE_FOR_YOU)
    assert notice.link == reverse("log_detail", args=[log.pk])
    assert "Cora Coordinator" in notice.title
    # The coordinator's way back is to the partner's page in their study.
    assert reverse("partner_involvement", args=[team.study.pk, team.partner.pk]) in landed


def test_a_log_cannot_cover_days_still_to_come(team: StudyTeam) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client_for(team.partner).post(
        reverse("log_new"), log_form(team, end=tomorrow.isoformat())
    )
    assert "cannot be after today" in response.content.decode()
    assert not InvolvementLog.objects.exists()


def test_the_statement_counts_the_studies_they_were_involved_in(
    team: StudyTeam, record: dict[str, Any]
) -> None:
    MembershipFactory(study=team.other_study, user=team.partner, role=Role.PARTNER)
    scope = LogScope(
        holder=team.partner,
        start=dt.date(2026, 3, 4),
        end=dt.date(2026, 3, 4),
        study_ids=(team.study.pk, team.other_study.pk),
    )
    statement = log_content(scope).statement
    assert statement.startswith(f"On 4 March 2026, {team.partner.display_name} was")
    assert as_shown("in 1 study, giving 1 h 30 min to 1 activity") in statement
    empty = LogScope(
        holder=team.partner,
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 2, 1),
        study_ids=(team.study.pk,),
    )
    assert "between 1 January 2025 and 1 February 2025" in log_content(empty).statement


def test_a_machine_without_weasyprint_gets_a_plain_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from portal.home import printing

    printing._weasyprint.cache_clear()
    # Importing it fails as it does when Pango is missing (OSError) or it is not installed.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    try:
        problem = printing.pdf_problem()
        assert problem is not None
        assert "Pango and HarfBuzz" in problem
        with pytest.raises(printing.PdfUnavailable):
            printing.pdf_render("pdf/involvement_log.html", {})
    finally:
        printing._weasyprint.cache_clear()


def test_a_missing_font_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from portal.home import printing

    monkeypatch.setattr(printing, "FONT_DIR", tmp_path)
    problem = printing.pdf_problem()
    assert problem is not None
    assert "AtkinsonHyperlegible-Regular.ttf" in problem


def test_a_build_that_runs_out_of_time_is_failed_and_the_person_told(
    team: StudyTeam, record: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    import portal.home.logs.services as services
    from portal.home.tasks import log_build_task

    def slow(*args: Any, **kwargs: Any) -> Any:
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(services, "pdf_render", slow)
    scope = LogScope(
        holder=team.partner,
        start=dt.date(2026, 1, 1),
        end=timezone.localdate(),
        study_ids=(team.study.pk,),
    )
    log = log_request(scope=scope, by=team.partner)
    assert log_build_task(log.pk) == LogState.FAILED
    log.refresh_from_db()
    assert log.failure == "The log took too long to make."
    assert not log.file
    notice = Notification.objects.get(recipient=team.partner, kind=Kind.LOG_READY)
    assert "could not be made" in notice.title
    assert "took too long" in notice.text_body


def test_a_comment_just_after_midnight_in_summer_belongs_to_that_day(
    team: StudyTeam, record: dict[str, Any]
) -> None:
    from documents.models import Comment

    comment = Comment.objects.get(body="Is there parking?")
    # 00:30 on 1 April in London is 23:30 on 31 March in UTC.
    Comment.objects.filter(pk=comment.pk).update(
        created_at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
    )
    april = LogScope(
        holder=team.partner,
        start=dt.date(2026, 4, 1),
        end=dt.date(2026, 4, 30),
        study_ids=(team.study.pk,),
    )
    lines = [line for line in log_content(april).comments if line.body == "Is there parking?"]
    assert [line.date for line in lines] == [dt.date(2026, 4, 1)]
    march = LogScope(
        holder=team.partner,
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 31),
        study_ids=(team.study.pk,),
    )
    assert all(line.body != "Is there parking?" for line in log_content(march).comments)


def test_a_log_withdrawn_while_it_is_being_built_stays_withdrawn(
    team: StudyTeam, record: dict[str, Any], client: Any
) -> None:
    scope = LogScope(
        holder=team.partner, start=dt.date(2026, 1, 1), end=TODAY, study_ids=(team.study.pk,)
    )
    log = log_request(scope=scope, by=team.partner)
    building = InvolvementLog.objects.get(pk=log.pk)
    client_for(team.partner).post(reverse("log_withdraw", args=[log.pk]))
    built = log_build(building)
    assert built.withdrawn_at is not None
    assert built.state != LogState.READY
    assert not built.file
    assert not list((Path(settings_media()) / "logs").rglob("*.pdf"))
    # Not a genuine log: it was never issued.
    assert client.get(reverse("log_verify_code", args=[log.code])).status_code == 404


def settings_media() -> str:
    from django.conf import settings

    return str(settings.MEDIA_ROOT)


def test_trying_again_twice_starts_one_build_and_an_old_build_cannot_finish(
    team: StudyTeam, record: dict[str, Any]
) -> None:
    from portal.home.logs.services import log_retry

    scope = LogScope(
        holder=team.partner, start=dt.date(2026, 1, 1), end=TODAY, study_ids=(team.study.pk,)
    )
    log = log_request(scope=scope, by=team.partner)
    first_try = InvolvementLog.objects.get(pk=log.pk)
    InvolvementLog.objects.filter(pk=log.pk).update(state=LogState.FAILED, failure="Broken")
    failed = InvolvementLog.objects.get(pk=log.pk)
    again = log_retry(failed)
    assert again is not None
    assert again.attempt == 2
    assert log_retry(InvolvementLog.objects.get(pk=log.pk)) is None  # already building
    assert log_retry(failed) is None  # the same page pressed twice
    # The first try's build finishing late changes nothing and leaves no file behind.
    late = log_build(first_try)
    assert late.state == LogState.BUILDING
    assert not list((Path(settings_media()) / "logs").rglob("*.pdf"))
    done = log_build(again)
    assert done.state == LogState.READY
    assert done.file.name.endswith(f"{done.code}-2.pdf")


def test_expenses_show_when_they_were_repaid_not_when_time_was_paid(
    team: StudyTeam, record: dict[str, Any], tmp_path: Path
) -> None:
    Contribution.objects.filter(payment_due="37.50").update(
        paid_on=dt.date(2026, 4, 1), expenses_paid_on=None
    )
    client = client_for(team.partner)
    response = client.post(reverse("log_new"), log_form(team, include_payments="on"))
    read(response, client)
    text = pdf_text(response.pdf, tmp_path)
    assert "Time: 1 Apr 2026" in text
    assert "Expenses: not repaid yet" in text


def test_the_form_starts_a_year_back_even_on_29_february(
    team: StudyTeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    import portal.home.logs.forms as forms

    monkeypatch.setattr(forms.timezone, "localdate", lambda *args: dt.date(2028, 2, 29))
    form = forms.LogForm(studies=Study.objects.all())
    assert form.fields["start"].initial == dt.date(2027, 3, 1)
    assert form.fields["end"].initial == dt.date(2028, 2, 29)


def test_a_junk_forwarded_address_falls_back_to_the_connection(rf: Any, settings: Any) -> None:
    from portal.http import client_ip

    settings.BEHIND_PROXY = True
    request = rf.get("/verify/", HTTP_X_FORWARDED_FOR="1.2.3.4:80, <junk>", REMOTE_ADDR="10.0.0.2")
    assert client_ip(request) == "10.0.0.2"


def test_what_a_researcher_said_as_team_is_not_in_their_log(team: StudyTeam) -> None:
    version = ready_version(study=team.study, by=team.coordinator, paragraphs=["Hello there."])
    thread(version, team.researcher, "We will look at this as a team")
    scope = LogScope(
        holder=team.researcher,
        start=dt.date(2026, 1, 1),
        end=timezone.localdate(),
        study_ids=(team.study.pk,),
    )
    assert log_content(scope).comments == []
    # And their own log offers no study to choose: they are no partner.
    page = client_for(team.researcher).get(reverse("log_new")).content.decode()
    assert "There are no studies to make a log for yet." in page
