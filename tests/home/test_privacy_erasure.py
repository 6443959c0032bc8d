"""Erasing a person's personal data: who may, what goes, what stays, and "Former partner N"."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from documents.models import Comment, CommentDraft, WordImport
from engagement.involvement.services.contributions import (
    contribution_approve,
    contribution_submit,
)
from engagement.models import Contribution, ContributionState, ExpenseLine, Invitation, Membership
from portal.accounts.models import Erasure, Profile, SensitiveAccess, User
from portal.home.models import InvolvementLog
from portal.home.privacy.services import person_erase, receipts_purge
from portal.home.tasks import receipts_purge_task
from portal.notifications.models import InboundMail, Notification
from portal.notifications.services import Message, notifications_record
from portal.permissions import Role
from portal.rules import RuleBroken
from tests.conftest import StudyTeam, client_for, give_totp
from tests.factories import PASSWORD, MembershipFactory, StudyFactory, UserFactory
from tests.home import privacy_data as data
from tests.home.pdfs import pdf_text


@pytest.fixture
def lived(team: StudyTeam) -> data.Lived:
    return data.lived(team)


def erase_url(person: User) -> str:
    return reverse("person_erase", args=[person.pk])


def erase(team: StudyTeam) -> str:
    """The coordinator confirms; the name the partner has from now on."""
    response = client_for(team.coordinator).post(erase_url(team.partner), {"confirm": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    team.partner.refresh_from_db()
    return f"Former partner {team.partner.erasure.pk}"


def test_the_confirmation_page_says_what_goes_and_what_stays(
    team: StudyTeam, lived: data.Lived
) -> None:
    page = client_for(team.coordinator).get(erase_url(team.partner)).content.decode()
    assert f"Erase the personal data of {data.NAME}?" in page
    assert "What will be removed" in page
    assert "What will be kept" in page
    assert "They have access needs recorded." in page
    assert "1 unsent comment draft." in page
    assert "1 contribution never sent for approval, with its expenses." in page
    assert "1 receipt, kept for finance law and removed automatically by" in page
    assert "This cannot be done yet" not in page
    assert 'name="confirm"' in page


def test_it_refuses_while_an_approved_payment_is_unpaid(team: StudyTeam) -> None:
    owed = data.contribution(team, "A workshop not paid yet")
    contribution_submit(contribution=owed)
    contribution_approve(contribution=owed, by=team.coordinator)
    client = client_for(team.coordinator)
    page = client.get(erase_url(team.partner)).content.decode()
    assert "This cannot be done yet" in page
    assert "1 approved contribution has not been paid or its expenses repaid yet" in page
    assert "Pay it, or mark it paid, first" in page
    assert 'name="confirm"' not in page
    response = client.post(erase_url(team.partner), {"confirm": "on"})
    assert response.status_code == 409
    assert "Pay it, or mark it paid, first" in response.content.decode()
    team.partner.refresh_from_db()
    assert not team.partner.is_erased
    assert not Erasure.objects.exists()
    with pytest.raises(RuleBroken, match="has not been paid"):
        person_erase(person=team.partner, by=team.coordinator)


def test_it_refuses_while_expenses_are_not_repaid(team: StudyTeam) -> None:
    claim = data.contribution(team, "Travel to a meeting", receipt_name="ticket.pdf")
    contribution_submit(contribution=claim)
    contribution_approve(contribution=claim, by=team.coordinator)
    Contribution.objects.filter(pk=claim.pk).update(state=ContributionState.PAID)
    page = client_for(team.coordinator).get(erase_url(team.partner)).content.decode()
    assert "its expenses repaid yet" in page


def test_it_refuses_while_a_contribution_waits_for_approval(team: StudyTeam) -> None:
    contribution_submit(contribution=data.contribution(team, "Waiting"))
    page = client_for(team.coordinator).get(erase_url(team.partner)).content.decode()
    assert "1 contribution is waiting for approval. Approve or return it first." in page


def test_the_box_must_be_ticked(team: StudyTeam) -> None:
    response = client_for(team.coordinator).post(erase_url(team.partner), {})
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert "Tick the box to confirm" in response.content.decode()
    assert not User.objects.get(pk=team.partner.pk).is_erased


def test_erasure_removes_the_personal_data(team: StudyTeam, lived: data.Lived) -> None:
    partner_client = client_for(team.partner)
    former = erase(team)
    partner = User.objects.get(pk=team.partner.pk)
    assert partner.display_name == former
    assert partner.name_seen == former
    assert str(partner) == former
    assert data.EMAIL not in partner.email
    assert partner.email.endswith("@erased.invalid")
    assert not partner.is_active
    assert not partner.has_usable_password()
    assert not EmailAddress.objects.filter(user=partner).exists()
    profile = Profile.objects.get(user=partner)
    assert (profile.accessibility_needs, profile.phone, profile.preferred_name) == ("", "", "")
    assert (profile.pronouns, profile.payment_preference) == ("", "accept")
    assert not Notification.objects.filter(recipient=partner).exists()
    assert not CommentDraft.objects.filter(author=partner).exists()
    assert not WordImport.objects.filter(person=partner).exists()
    assert not Contribution.objects.filter(pk=lived.unsent.pk).exists()
    assert not Contribution.history.filter(id=lived.unsent.pk).exists()
    # Receipts keep no name, in the table or its audit copies; a recent file is kept.
    line = ExpenseLine.objects.get(pk=lived.receipt.pk)
    assert line.receipt_name == "Receipt"
    assert line.receipt
    assert not ExpenseLine.history.filter(receipt_name__contains=data.NAME).exists()
    # The printed log's file is gone; its code verifies under the new name.
    log = InvolvementLog.objects.get(pk=lived.log.pk)
    assert not log.file
    assert log.holder_name == former
    assert log.produced_by_name == former
    # Invitations no longer hold the address; others' messages no longer hold the name.
    assert not Invitation.objects.filter(email__iexact=data.EMAIL).exists()
    assert not Notification.objects.filter(title__contains=data.NAME).exists()
    assert not Notification.objects.filter(html_body__contains=data.NAME).exists()
    assert Notification.objects.filter(recipient=team.coordinator, title__contains=former)
    # Logged out, and cannot log in again.
    assert partner_client.get(reverse("dashboard")).status_code == 302
    assert not Client().login(email=data.EMAIL, password=PASSWORD)


def test_erasure_keeps_the_research_record_and_records_itself(
    team: StudyTeam, lived: data.Lived
) -> None:
    former = erase(team)
    paid = Contribution.objects.get(pk=lived.paid.pk)
    assert paid.what_they_did == data.DONE
    assert (paid.state, paid.payment_reference) == ("paid", "BACS-PQM-1")
    assert Comment.objects.get(pk=lived.comment.pk).body == data.COMMENT
    membership = Membership.objects.get(user=team.partner, study=team.study)
    assert membership.left_on == timezone.localdate()
    erasure = Erasure.objects.get(person=team.partner)
    assert erasure.erased_by == team.coordinator
    assert erasure.erased_by_name == "Cora Coordinator"
    assert erasure.study_ids == [team.study.pk]
    assert erasure.removed["drafts"] == 1
    assert erasure.receipts_kept_until == timezone.localdate().replace(
        year=timezone.localdate().year + 6
    )
    record = SensitiveAccess.objects.get(verb="erased")
    assert (record.by, record.subject, record.study_id) == (
        team.coordinator,
        team.partner,
        team.study.pk,
    )
    page = client_for(team.coordinator).get(erase_url(team.partner)).content.decode()
    assert f"{former}: personal data erased" in page
    assert data.NAME not in page


def test_receipts_go_once_the_retention_period_is_over(
    team: StudyTeam, lived: data.Lived, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.FINANCE_RETENTION_YEARS = 6
    old = data.paid_contribution(team, "A meeting long ago")
    Contribution.objects.filter(pk=old.pk).update(expenses_paid_on=dt.date(2019, 1, 7))
    old_line = old.expenses.get()
    old_file = old_line.receipt.path
    log_file = lived.log.file.path
    with django_capture_on_commit_callbacks(execute=True):
        erase(team)
    assert not ExpenseLine.objects.get(pk=old_line.pk).receipt
    # The files go once the erasure is committed.
    assert not Path(old_file).exists()
    assert not Path(log_file).exists()
    recent = ExpenseLine.objects.get(pk=lived.receipt.pk)
    assert recent.receipt
    assert receipts_purge() == 0
    recent_file = recent.receipt.path
    with django_capture_on_commit_callbacks(execute=True):
        assert receipts_purge(today=timezone.localdate() + dt.timedelta(days=6 * 366)) == 1
    assert not ExpenseLine.objects.get(pk=recent.pk).receipt
    assert not Path(recent_file).exists()
    # The amounts stay for finance.
    assert ExpenseLine.objects.get(pk=recent.pk).amount == lived.receipt.amount


def test_a_partner_not_erased_keeps_old_receipts(team: StudyTeam, settings: Any) -> None:
    old = data.paid_contribution(team, "A meeting long ago")
    Contribution.objects.filter(pk=old.pk).update(expenses_paid_on=dt.date(2001, 1, 7))
    assert receipts_purge() == 0
    assert old.expenses.get().receipt


def test_a_coordinator_of_only_some_of_their_studies_is_told_to_ask_a_site_admin(
    team: StudyTeam,
) -> None:
    elsewhere = StudyFactory(title="Another team's study")
    MembershipFactory(study=elsewhere, user=team.partner, role=Role.PARTNER)
    response = client_for(team.coordinator).get(erase_url(team.partner))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Ask a site admin" in page
    assert "Another team's study" not in page
    response = client_for(team.coordinator).post(erase_url(team.partner), {"confirm": "on"})
    assert response.status_code == 403
    assert not User.objects.get(pk=team.partner.pk).is_erased


def test_a_site_admin_may_erase_anyone(team: StudyTeam) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    give_totp(admin)
    response = client_for(admin).post(erase_url(team.outsider), {"confirm": "on"})
    assert response.status_code == 302
    assert User.objects.get(pk=team.outsider.pk).is_erased


def test_the_admin_leads_a_site_admin_to_the_erasure_page(team: StudyTeam) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    give_totp(admin)
    client = client_for(admin)
    change = reverse("admin:accounts_user_change", args=[team.partner.pk])
    assert erase_url(team.partner) in client.get(change).content.decode()
    client.post(erase_url(team.partner), {"confirm": "on"})
    assert "Erased on" in client.get(change).content.decode()
    erasures = client.get(reverse("admin:accounts_erasure_changelist"))
    assert erasures.status_code == 200


def test_nobody_erases_themselves_here(team: StudyTeam) -> None:
    assert client_for(team.coordinator).get(erase_url(team.coordinator)).status_code == 404


def test_the_only_coordinator_of_a_study_cannot_be_erased(team: StudyTeam) -> None:
    admin = UserFactory(is_staff=True)
    give_totp(admin)
    page = client_for(admin).get(erase_url(team.coordinator)).content.decode()
    assert "They are the only coordinator of Living well." in page


# --- "Former partner N" wherever the partner appears ------------------------------------


def test_pages_and_exports_show_the_former_partner(
    team: StudyTeam, lived: data.Lived, tmp_path: Path
) -> None:
    former = erase(team)
    coordinator = client_for(team.coordinator)
    study = team.study.pk
    version = lived.comment.version
    places = {
        "involvement": reverse("study_involvement", args=[study]),
        "involvement csv": reverse("study_involvement", args=[study]) + "?export=csv",
        "involvement xlsx": reverse("study_involvement", args=[study]) + "?export=xlsx",
        "finance csv": reverse("payment_export", args=[study])
        + f"?date_from=2000-01-01&date_to={timezone.localdate()}&file_format=csv",
        "payments": reverse("payment_list", args=[study]) + "?show=paid",
        "members": reverse("member_list", args=[study]),
        "contribution": reverse("contribution_detail", args=[study, lived.paid.pk]),
        "report": reverse("study_report", args=[study]),
        "version": reverse("version_detail", args=[study, version.document_id, version.number]),
        "you said we did": reverse("you_said_we_did", args=[study, version.document_id]),
        "you said we did csv": reverse("you_said_we_did", args=[study, version.document_id])
        + "?format=csv",
        "log check": reverse("log_verify_code", args=[lived.log.code]),
    }
    for where, url in places.items():
        response = coordinator.get(url)
        assert response.status_code == 200, (where, response.status_code)
        body = _text(response)
        assert data.NAME not in body, where
        assert data.EMAIL not in body, where
        if where not in {"members", "payments"}:
            assert former in body, where
    annotations = coordinator.get(
        reverse("version_annotation_page", args=[study, version.document_id, version.number, 1])
    )
    creators = {item["creator"]["name"] for item in json.loads(annotations.content)["items"]}
    assert former in creators
    assert data.NAME not in annotations.content.decode()
    pdf = coordinator.get(reverse("study_report_pdf", args=[study]))
    text = pdf_text(pdf.content, tmp_path)
    assert former in text
    assert data.NAME not in text


def test_a_former_partner_who_asked_not_to_be_named_is_still_former_partner_n(
    team: StudyTeam, lived: data.Lived
) -> None:
    Profile.objects.filter(user=team.partner).update(acknowledgement="anonymous")
    former = erase(team)
    page = client_for(team.coordinator).get(reverse("study_report", args=[team.study.pk]))
    assert former in page.content.decode()
    assert "Public partner 1" not in page.content.decode()


def _text(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        book = openpyxl.load_workbook(io.BytesIO(content))
        return " ".join(
            str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row
        )
    return content.decode("utf-8-sig")


def test_a_short_name_is_replaced_only_where_it_is_the_whole_name(team: StudyTeam) -> None:
    User.objects.filter(pk=team.partner.pk).update(display_name="Sam")
    note = Notification.objects.create(
        recipient=team.coordinator,
        kind="log_ready",
        object_type="involvement_log",
        object_id=1,
        title="Sam's samples, from Sam",
        link="/",
        subject="",
        text_body="",
        html_body="",
    )
    former = erase(team)
    note.refresh_from_db()
    assert note.title == f"{former}'s samples, from {former}"


def test_the_daily_task_purges_what_is_due(team: StudyTeam, lived: data.Lived) -> None:
    erase(team)
    assert receipts_purge_task() == 0
    assert "portal.home.tasks.receipts_purge_task" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_nothing_new_is_recorded_for_a_former_partner(team: StudyTeam, lived: data.Lived) -> None:
    erase(team)
    partner = User.objects.get(pk=team.partner.pk)
    offered = notifications_record(
        [
            Message(
                recipient=partner,
                kind="comment_answered",
                object_type="comment",
                object_id=lived.comment.pk,
                title="Your comment was answered",
                link="/",
                template="comment_answered",
            )
        ]
    )
    assert offered == 0
    assert not Notification.objects.filter(recipient=partner).exists()


def test_erasure_removes_the_address_replies_by_email_came_from(
    team: StudyTeam, lived: data.Lived
) -> None:
    def a_reply(key: str, sender: str, person: User | None) -> InboundMail:
        return InboundMail.objects.create(
            message_key=key, via="smtp", sender=sender, person=person, outcome="posted"
        )

    mine = a_reply("a" * 64, "someone@old.example", team.partner)
    from_address = a_reply("b" * 64, team.partner.email.upper(), None)
    other = a_reply("c" * 64, team.researcher.email, team.researcher)
    erase(team)
    mine.refresh_from_db()
    from_address.refresh_from_db()
    other.refresh_from_db()
    assert (mine.sender, mine.outcome) == ("", "posted")
    assert from_address.sender == ""
    assert other.sender == team.researcher.email
