"""Writes about contributions: recording, submitting, approving, returning and paying."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from engagement.involvement.notices import contribution_notify
from engagement.involvement.receipts import ReceiptRefused, download_name, pdf_without_actions
from engagement.involvement.selectors import policy_for
from engagement.involvement.services.payments import payment_for_time
from engagement.models import (
    ActivityType,
    Contribution,
    ContributionState,
    ExpenseLine,
    ExpenseType,
    ImpactStandard,
    Membership,
    Stage,
    Study,
)
from portal.accounts.models import User
from portal.accounts.services import profile_for
from portal.notifications.models import Kind
from portal.permissions import Role
from portal.rules import RuleBroken

MAX_RECEIPT_BYTES = 5 * 1024 * 1024
RECEIPT_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
EDITABLE = {ContributionState.DRAFT, ContributionState.RETURNED, ContributionState.SUBMITTED}


def _is_partner_of(study: Study, user: User) -> bool:
    return Membership.objects.filter(
        study=study, user=user, role=Role.PARTNER, left_on__isnull=True
    ).exists()


def earliest_activity_date(today: dt.date | None = None) -> dt.date:
    """The first day involvement may be dated: ``INVOLVEMENT_EARLIEST_YEARS`` before today."""
    today = today or timezone.localdate()
    year = today.year - settings.INVOLVEMENT_EARLIEST_YEARS
    # 29 February falls back to the 28th, which every year has.
    return today.replace(year=year, day=28 if (today.month, today.day) == (2, 29) else today.day)


def activity_date_refusal(activity_date: dt.date) -> str | None:
    """Why involvement cannot be dated that day, or None: not in the future, nor years ago."""
    if activity_date > timezone.localdate():
        return _("The date cannot be in the future. Record involvement once it has happened.")
    earliest = earliest_activity_date()
    if activity_date < earliest:
        return _(
            "The date cannot be before %(date)s, more than %(years)s years ago. Check the year."
        ) % {"date": _day(earliest), "years": settings.INVOLVEMENT_EARLIEST_YEARS}
    return None


def _check_fields(
    *, study: Study, stage: Stage, activity_type: str, activity_date: dt.date, minutes: int
) -> None:
    if stage.study_id != study.pk:
        raise RuleBroken(_("Choose one of this study's stages."))
    if activity_type not in ActivityType.values:
        raise RuleBroken(_("Choose what kind of activity it was."))
    if not 1 <= minutes <= 24 * 60:
        raise RuleBroken(_("Enter the time spent, between 1 minute and 24 hours."))
    refusal = activity_date_refusal(activity_date)
    if refusal is not None:
        raise RuleBroken(refusal)


def _clean_standards(values: Iterable[str]) -> list[str]:
    chosen = [value for value in ImpactStandard.values if value in set(values)]
    return chosen


@transaction.atomic
def contribution_save(
    *,
    contribution: Contribution | None,
    partner: User,
    study: Study,
    stage: Stage,
    activity_type: str,
    activity_date: dt.date,
    minutes: int,
    what_they_did: str,
    hoped_to_influence: str = "",
    what_changed: str = "",
    impact_standards: Iterable[str] = (),
    entered_by: User,
    submit: bool = False,
) -> Contribution:
    """Record or change a contribution; a coordinator may enter one for a partner (proxy)."""
    if not _is_partner_of(study, partner):
        raise RuleBroken(_("Contributions are recorded for partners of the study."))
    _check_fields(
        study=study,
        stage=stage,
        activity_type=activity_type,
        activity_date=activity_date,
        minutes=minutes,
    )
    if not (what_they_did or "").strip():
        raise RuleBroken(_("Say briefly what you did."))
    if contribution is None:
        contribution = Contribution(
            partner=partner,
            study=study,
            entered_by=entered_by if entered_by.pk != partner.pk else None,
        )
    else:
        contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
        if contribution.state not in EDITABLE:
            raise RuleBroken(_("An approved contribution cannot be changed."))
    contribution.stage = stage
    contribution.activity_type = activity_type
    contribution.activity_date = activity_date
    contribution.minutes = minutes
    contribution.what_they_did = what_they_did.strip()
    contribution.hoped_to_influence = (hoped_to_influence or "").strip()
    contribution.what_changed = (what_changed or "").strip()
    contribution.impact_standards = _clean_standards(impact_standards)
    if contribution.state == ContributionState.SUBMITTED:
        # Changed while waiting: it goes back to draft, so nobody approves what they never saw.
        contribution.state = ContributionState.DRAFT
    contribution.save()
    if submit:
        contribution_submit(contribution=contribution)
    return contribution


@transaction.atomic
def contribution_record_impact(
    *, contribution: Contribution, what_changed: str, impact_standards: Iterable[str]
) -> Contribution:
    """What changed can be added at any time, even after approval; payment is untouched."""
    contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
    contribution.what_changed = (what_changed or "").strip()
    contribution.impact_standards = _clean_standards(impact_standards)
    contribution.save(update_fields=["what_changed", "impact_standards", "updated_at"])
    return contribution


def contribution_propose(
    *,
    partner: User,
    study: Study,
    stage: Stage,
    activity_date: dt.date,
    minutes: int,
    what_they_did: str,
) -> Contribution:
    """A draft filled in from a finished review, for the partner to check and submit."""
    minutes = max(1, min(minutes, 24 * 60))
    return Contribution.objects.create(
        partner=partner,
        study=study,
        stage=stage,
        activity_type=ActivityType.DOCUMENT_REVIEW,
        activity_date=min(activity_date, timezone.localdate()),
        minutes=minutes,
        what_they_did=what_they_did,
    )


@transaction.atomic
def contribution_submit(*, contribution: Contribution) -> Contribution:
    contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
    if contribution.state not in {ContributionState.DRAFT, ContributionState.RETURNED}:
        if contribution.state == ContributionState.SUBMITTED:
            return contribution
        raise RuleBroken(_("This contribution has already been approved."))
    policy = policy_for(contribution.study)
    if policy.receipts_required and contribution.expenses.filter(receipt="").exists():
        raise RuleBroken(
            _("This study needs a receipt for every expense. Add the missing receipts first.")
        )
    contribution.state = ContributionState.SUBMITTED
    contribution.submitted_at = timezone.now()
    contribution.returned_reason = ""
    contribution.save(update_fields=["state", "submitted_at", "returned_reason", "updated_at"])
    return contribution


def decision_refusal(contribution: Contribution, by_id: int) -> str | None:
    """Why this person may never approve or return this contribution, or None if they may.

    Whoever approves a payment must not also have set what it is for: neither the partner
    nor the coordinator who entered it on their behalf.
    """
    if by_id == contribution.partner_id:
        return _("Nobody can approve or return their own contribution.")
    if by_id == contribution.entered_by_id:
        return _(
            "You entered this contribution for the partner, so another coordinator approves it."
        )
    return None


def who_may_decide(contribution: Contribution, coordinators: Iterable[User]) -> list[User]:
    """Those among the study's coordinators who may approve or return this contribution."""
    return [person for person in coordinators if decision_refusal(contribution, person.pk) is None]


def _decide(contribution: Contribution, by: User) -> Contribution:
    contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
    refusal = decision_refusal(contribution, by.pk)
    if refusal is not None:
        raise RuleBroken(refusal)
    if contribution.state != ContributionState.SUBMITTED:
        raise RuleBroken(_("Only a contribution waiting for approval can be approved or returned."))
    return contribution


@transaction.atomic
def contribution_approve(*, contribution: Contribution, by: User) -> Contribution:
    """Approve and lock it; the payment due is fixed from the rate in force on its date."""
    contribution = _decide(contribution, by)
    profile = profile_for(contribution.partner)
    due = payment_for_time(
        policy=policy_for(contribution.study),
        minutes=contribution.minutes,
        on=contribution.activity_date,
        preference=profile.payment_preference,
        reduced_percent=profile.payment_reduced_percent,
    )
    if due.amount is None:
        raise RuleBroken(due.explanation)
    contribution.state = ContributionState.APPROVED
    contribution.decided_by = by
    contribution.decided_at = timezone.now()
    contribution.payment_preference = profile.payment_preference
    contribution.rate = due.rate
    contribution.payment_due = due.amount
    if due.amount == Decimal("0.00"):
        # Nothing to pay (the partner declined): it does not wait on the payments list.
        contribution.state = ContributionState.PAID
        contribution.paid_on = timezone.localdate()
        contribution.payment_reference = _("No payment: declined by the partner")[:100]
    contribution.save()
    contribution_notify(contribution=contribution, kind=Kind.CONTRIBUTION_APPROVED)
    return contribution


def contributions_approve_many(
    *, contributions: Iterable[Contribution], by: User
) -> tuple[list[Contribution], list[tuple[Contribution, str]]]:
    """Approve each that can be; say why each other one could not."""
    approved: list[Contribution] = []
    refused: list[tuple[Contribution, str]] = []
    for contribution in contributions:
        try:
            approved.append(contribution_approve(contribution=contribution, by=by))
        except RuleBroken as refusal:
            refused.append((contribution, str(refusal)))
    return approved, refused


@transaction.atomic
def contribution_return(*, contribution: Contribution, by: User, reason: str) -> Contribution:
    reason = (reason or "").strip()
    if not reason:
        raise RuleBroken(_("Say what needs changing, so the partner knows what to do."))
    contribution = _decide(contribution, by)
    contribution.state = ContributionState.RETURNED
    contribution.returned_reason = reason
    contribution.decided_by = by
    contribution.decided_at = timezone.now()
    contribution.save()
    contribution_notify(contribution=contribution, kind=Kind.CONTRIBUTION_RETURNED)
    return contribution


def _day(value: dt.date | None) -> str:
    return date_format(value, "j F Y") if value is not None else ""


def _check_paid_on(contribution: Contribution, paid_on: dt.date) -> None:
    if paid_on > timezone.localdate():
        raise RuleBroken(_("The payment date cannot be in the future."))
    approved_on = timezone.localdate(contribution.decided_at) if contribution.decided_at else None
    if approved_on is not None and paid_on < approved_on:
        raise RuleBroken(_("The payment date cannot be before the contribution was approved."))


@transaction.atomic
def contribution_mark_paid(
    *, contribution: Contribution, paid_on: dt.date, reference: str
) -> Contribution:
    contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
    if contribution.state == ContributionState.PAID:
        raise RuleBroken(
            _("It was already marked as paid on %(date)s, so it was not paid again.")
            % {"date": _day(contribution.paid_on)}
        )
    if contribution.state != ContributionState.APPROVED:
        raise RuleBroken(_("Only an approved contribution can be marked as paid."))
    _check_paid_on(contribution, paid_on)
    contribution.state = ContributionState.PAID
    contribution.paid_on = paid_on
    contribution.payment_reference = reference.strip()[:100]
    contribution.save()
    contribution_notify(contribution=contribution, kind=Kind.CONTRIBUTION_PAID)
    return contribution


@transaction.atomic
def expenses_mark_paid(
    *, contribution: Contribution, paid_on: dt.date, reference: str
) -> Contribution:
    contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
    if not contribution.is_locked:
        raise RuleBroken(_("Expenses are reimbursed once the contribution is approved."))
    if not contribution.expenses.exists():
        raise RuleBroken(_("This contribution has no expenses."))
    if contribution.expenses_paid_on is not None:
        raise RuleBroken(
            _("These expenses have already been reimbursed, on %(date)s, so not again.")
            % {"date": _day(contribution.expenses_paid_on)}
        )
    _check_paid_on(contribution, paid_on)
    contribution.expenses_paid_on = paid_on
    contribution.expenses_reference = reference.strip()[:100]
    contribution.save(update_fields=["expenses_paid_on", "expenses_reference", "updated_at"])
    return contribution


Payer = Callable[..., Contribution]


def _pay_many(
    service: Payer, contributions: Iterable[Contribution], paid_on: dt.date, reference: str
) -> tuple[list[Contribution], list[tuple[Contribution, str]]]:
    done: list[Contribution] = []
    refused: list[tuple[Contribution, str]] = []
    for contribution in contributions:
        try:
            done.append(service(contribution=contribution, paid_on=paid_on, reference=reference))
        except RuleBroken as refusal:
            refused.append((contribution, str(refusal)))
    return done, refused


def contributions_mark_paid_many(
    *, contributions: Iterable[Contribution], paid_on: dt.date, reference: str
) -> tuple[list[Contribution], list[tuple[Contribution, str]]]:
    """Mark each as paid that can be, each in its own transaction; say why each other was not.

    One already paid (by someone else, or by the same form sent twice) is never paid again.
    """
    return _pay_many(contribution_mark_paid, contributions, paid_on, reference)


def expenses_mark_paid_many(
    *, contributions: Iterable[Contribution], paid_on: dt.date, reference: str
) -> tuple[list[Contribution], list[tuple[Contribution, str]]]:
    """Reimburse the expenses of each that can be; say why each other was not."""
    return _pay_many(expenses_mark_paid, contributions, paid_on, reference)


# --- expenses ---------------------------------------------------------------------------


def receipt_check(upload: UploadedFile) -> tuple[bytes, str]:
    """A receipt must be a PDF, JPEG or PNG by its content, and not too large. What is kept
    of a PDF is the PDF written again without scripts and actions a reader would run."""
    data = upload.read(MAX_RECEIPT_BYTES + 1)
    if len(data) > MAX_RECEIPT_BYTES:
        raise ReceiptRefused(_("A receipt can be up to 5 MB. Try a smaller photo or a PDF."))
    kind = filetype.guess(data)
    if kind is None or kind.mime not in RECEIPT_TYPES:
        raise ReceiptRefused(
            _("A receipt must be a photo (JPEG or PNG) or a PDF. This file is something else.")
        )
    if kind.mime == "application/pdf":
        data = pdf_without_actions(data)
    return data, kind.mime


@transaction.atomic
def expense_add(
    *,
    contribution: Contribution,
    expense_type: str,
    amount: Any,
    description: str = "",
    receipt: UploadedFile | None = None,
) -> ExpenseLine:
    # The file is read (and a PDF written again) before the contribution is locked.
    checked = receipt_check(receipt) if receipt is not None else None
    contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
    if contribution.is_locked:
        raise RuleBroken(_("An approved contribution cannot be changed."))
    if expense_type not in ExpenseType.values:
        raise RuleBroken(_("Choose the type of expense."))
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise RuleBroken(_("Enter the amount in pounds, for example 12.50.")) from None
    if not Decimal("0") < value <= Decimal("10000"):
        raise RuleBroken(_("Enter an amount between £0.01 and £10,000."))
    line = ExpenseLine(
        contribution=contribution,
        expense_type=expense_type,
        amount=value,
        description=(description or "").strip()[:200],
    )
    if receipt is not None and checked is not None:
        data, mime = checked
        line.save()
        line.receipt.save("receipt", ContentFile(data), save=False)
        line.receipt_name = download_name(receipt.name or "", mime)
        line.receipt_content_type = mime
    line.save()
    return line


def expense_remove(*, line: ExpenseLine) -> None:
    if line.contribution.is_locked:
        raise RuleBroken(_("An approved contribution cannot be changed."))
    line.receipt.delete(save=False)
    line.delete()
