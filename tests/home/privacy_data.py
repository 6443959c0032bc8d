"""A partner with something in every table that holds personal data, for the privacy tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from documents.models import (
    Assignment,
    Comment,
    CommentDraft,
    CommentEdit,
    Outcome,
    Response,
    WordImport,
)
from documents.services.rounds import round_open
from engagement.involvement.services.contributions import (
    contribution_approve,
    contribution_mark_paid,
    contribution_save,
    contribution_submit,
    expense_add,
    expenses_mark_paid,
)
from engagement.models import Contribution, ExpenseLine, Invitation
from portal.accounts.models import Profile
from portal.home.logs.services import code_new
from portal.home.models import InvolvementLog, LogState
from portal.notifications.models import Kind, Notification
from tests.conftest import StudyTeam
from tests.documents.builders import ready_version, thread
from tests.engagement.contributions_data import receipt_pdf

NAME = "Philippa Quenby-Marsh"
EMAIL = "philippa.quenby@example.org"
ACCESS_NEEDS = "I use a screen reader and need documents a week early"
PHONE = "+44 115 496 0000"
COMMENT = "The consent form should say who sees my diabetes records"
DRAFT = "Half-typed thoughts about the interview guide"
DONE = "Read the consent form with my carer"
UNSENT = "An unsent note about a workshop"


@dataclass
class Lived:
    """What the partner has: ids and the rows a test reads back."""

    paid: Contribution
    unsent: Contribution
    receipt: ExpenseLine
    comment: Comment
    log: InvolvementLog


def activity_day() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=10)


def contribution(team: StudyTeam, what: str, *, receipt_name: str = "") -> Contribution:
    made = contribution_save(
        contribution=None,
        partner=team.partner,
        study=team.study,
        stage=team.stage,
        activity_type="document_review",
        activity_date=activity_day(),
        minutes=90,
        what_they_did=what,
        entered_by=team.partner,
    )
    if receipt_name:
        upload = SimpleUploadedFile(receipt_name, receipt_pdf())
        expense_add(contribution=made, expense_type="travel", amount="4.20", receipt=upload)
    return made


def paid_contribution(team: StudyTeam, what: str = DONE) -> Contribution:
    """Approved, paid and its expenses repaid, with a receipt named after the partner."""
    made = contribution(team, what, receipt_name=f"{NAME} bus ticket.pdf")
    contribution_submit(contribution=made)
    contribution_approve(contribution=made, by=team.coordinator)
    today = timezone.localdate()
    contribution_mark_paid(contribution=made, paid_on=today, reference="BACS-PQM-1")
    expenses_mark_paid(contribution=made, paid_on=today, reference="BACS-PQM-2")
    made.refresh_from_db()
    return made


def lived(team: StudyTeam) -> Lived:
    partner = team.partner
    partner.display_name = NAME
    partner.email = EMAIL
    partner.save()
    partner.emailaddress_set.update(email=EMAIL)
    Profile.objects.filter(user=partner).update(
        preferred_name="Pippa",
        pronouns="she/her",
        accessibility_needs=ACCESS_NEEDS,
        contact_method="phone",
        phone=PHONE,
        payment_preference="reduce",
        payment_reduced_percent=40,
    )
    Invitation.objects.create(
        study=team.study,
        email=EMAIL,
        role="partner",
        nonce="n",
        expires_at=timezone.now() + dt.timedelta(days=3),
        accepted_at=timezone.now(),
        accepted_by=partner,
        message=f"Dear {NAME}, do join us",
    )
    paid = paid_contribution(team)
    unsent = contribution(team, UNSENT, receipt_name="unsent.pdf")
    version = ready_version(
        study=team.study,
        by=team.coordinator,
        paragraphs=["# Consent form", "You can stop at any time."],
    )
    now = timezone.now()
    round_open(
        version=version,
        partners=[partner],
        opens_at=now - dt.timedelta(hours=1),
        deadline=now + dt.timedelta(days=3),
        instructions="",
        independent=False,
        created_by=team.coordinator,
    )
    comment = thread(version, partner, COMMENT, block_id="b2", exact="stop")
    CommentEdit.objects.create(comment=comment, previous_body="An earlier wording")
    Response.objects.create(
        comment=comment,
        outcome=Outcome.CHANGED,
        body="We named who sees the records",
        author=team.researcher,
        published_at=now,
    )
    CommentDraft.objects.create(author=partner, version=version, key="whole", body=DRAFT)
    WordImport.objects.create(
        version=version,
        person=partner,
        filename="my copy.docx",
        proposals=[{"key": "c1", "kind": "comment", "author": NAME, "text": "From my Word copy"}],
    )
    log = InvolvementLog(
        code=code_new(),
        holder=partner,
        holder_name=NAME,
        produced_by=partner,
        produced_by_name=NAME,
        period_start=activity_day(),
        period_end=timezone.localdate(),
        study_ids=[team.study.pk],
        study_titles=[team.study.title],
        state=LogState.READY,
        digest="0" * 64,
        issued_at=now,
    )
    log.file.save("log.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    log.save()
    Notification.objects.create(
        recipient=team.coordinator,
        kind=Kind.LOG_READY,
        object_type="involvement_log",
        object_id=log.pk,
        title=f"The involvement log of {NAME} is ready",
        link="/",
        subject=f"The involvement log of {NAME} is ready",
        text_body=f"{NAME}'s log",
        html_body=f"<p>{NAME}'s log</p>",
    )
    assert Assignment.objects.filter(partner=partner).exists()
    assert Notification.objects.filter(recipient=partner).exists()
    return Lived(
        paid=paid,
        unsent=unsent,
        receipt=paid.expenses.get(),
        comment=comment,
        log=log,
    )
