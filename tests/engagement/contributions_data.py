"""Contributions made for the involvement tests, and the addresses of their pages."""

from __future__ import annotations

import datetime as dt
import functools
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from engagement.involvement.services.contributions import (
    contribution_save,
    contribution_submit,
    expense_add,
)
from engagement.models import Contribution
from portal.accounts.models import User
from portal.accounts.services import profile_for
from tests.conftest import StudyTeam

BEFORE_RISE = dt.date(2025, 12, 1)  # £25 an hour, £75 a half day, £150 a day
AFTER_RISE = dt.date(2025, 12, 20)  # £27.50 an hour, £82.50 a half day, £165 a day


@functools.cache
def receipt_pdf() -> bytes:
    """A real one-page PDF, as a receipt must be to be stored."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def detail_url(contribution: Contribution) -> str:
    return reverse("contribution_detail", args=[contribution.study_id, contribution.pk])


def action_url(name: str, contribution: Contribution) -> str:
    return reverse(name, args=[contribution.study_id, contribution.pk])


def recorded(
    team: StudyTeam, *, partner: User | None = None, submit: bool = False, **changes: Any
) -> Contribution:
    """A meeting yesterday, recorded by the team's partner (or another), a draft unless told."""
    partner = partner or team.partner
    fields: dict[str, Any] = {
        "contribution": None,
        "partner": partner,
        "study": team.study,
        "stage": team.stage,
        "activity_type": "meeting",
        "activity_date": timezone.localdate() - dt.timedelta(days=1),
        "minutes": 90,
        "what_they_did": "Steering group meeting",
        "entered_by": partner,
        "submit": submit,
    }
    fields.update(changes)
    return contribution_save(**fields)


def record(
    team: StudyTeam,
    *,
    partner: User | None = None,
    on: dt.date = BEFORE_RISE,
    minutes: int = 90,
    what: str = "Read the consent form",
    entered_by: User | None = None,
    expense: str | None = None,
    submit: bool = True,
) -> Contribution:
    """A contribution by the team's partner (or another), submitted for approval."""
    partner = partner or team.partner
    contribution = contribution_save(
        contribution=None,
        partner=partner,
        study=team.study,
        stage=team.stage,
        activity_type="document_review",
        activity_date=on,
        minutes=minutes,
        what_they_did=what,
        entered_by=entered_by or partner,
    )
    if expense is not None:
        receipt = SimpleUploadedFile("ticket.pdf", receipt_pdf())
        expense_add(
            contribution=contribution, expense_type="travel", amount=expense, receipt=receipt
        )
    if submit:
        contribution = contribution_submit(contribution=contribution)
    return contribution


def prefer(user: User, preference: str, percent: int = 50) -> None:
    """Set how the partner wants to be paid."""
    profile = profile_for(user)
    profile.payment_preference = preference
    profile.payment_reduced_percent = percent
    profile.save()
