"""Contributions: each piece of a partner's involvement, and what it cost them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from engagement.models.payments import PaymentRate
from engagement.models.studies import Stage, Study
from portal.formatting import money


class ActivityType(models.TextChoices):
    DOCUMENT_REVIEW = "document_review", _("Document review")
    MEETING = "meeting", _("Meeting")
    WORKSHOP = "workshop", _("Workshop or focus group")
    INTERVIEW = "interview", _("Interview")
    CO_ANALYSIS = "co_analysis", _("Co-analysis")
    CO_AUTHORING = "co_authoring", _("Co-authoring")
    STEERING = "steering", _("Steering or advisory group")
    DISSEMINATION = "dissemination", _("Dissemination")
    TRAINING = "training", _("Training")
    OTHER = "other", _("Other")


class ContributionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for approval")
    RETURNED = "returned", _("Returned for changes")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")


class ImpactStandard(models.TextChoices):
    """The UK Standards for Public Involvement."""

    INCLUSIVE_OPPORTUNITIES = "inclusive_opportunities", _("Inclusive opportunities")
    WORKING_TOGETHER = "working_together", _("Working together")
    SUPPORT_AND_LEARNING = "support_and_learning", _("Support and learning")
    COMMUNICATIONS = "communications", _("Communications")
    IMPACT = "impact", _("Impact")
    GOVERNANCE = "governance", _("Governance")


class Contribution(models.Model):
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contributions"
    )
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="contributions")
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="contributions"
    )
    activity_type = models.CharField(
        _("what kind of activity"), max_length=20, choices=ActivityType.choices
    )
    activity_date = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(_("time spent (minutes)"))
    what_they_did = models.TextField(_("what you did"), max_length=4000)
    hoped_to_influence = models.TextField(
        _("what you hoped to influence"), blank=True, max_length=4000
    )
    what_changed = models.TextField(_("what changed as a result"), blank=True, max_length=4000)
    impact_standards = models.JSONField(default=list, blank=True)
    state = models.CharField(
        max_length=10, choices=ContributionState.choices, default=ContributionState.DRAFT
    )
    returned_reason = models.TextField(blank=True, max_length=4000)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set when a coordinator recorded it for the partner (by proxy).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Payment for time, fixed when approved from the rate in force on the activity's date.
    payment_preference = models.CharField(max_length=10, blank=True)
    rate = models.ForeignKey(
        PaymentRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment_due = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    payment_reference = models.CharField(max_length=100, blank=True)
    expenses_paid_on = models.DateField(null=True, blank=True)
    expenses_reference = models.CharField(max_length=100, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-activity_date", "-id"]
        indexes = [
            models.Index(fields=["study", "activity_date"]),
            models.Index(fields=["partner", "activity_date"]),
            models.Index(fields=["study", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=24 * 60),
                name="contribution_minutes_within_a_day",
            ),
            models.CheckConstraint(
                condition=Q(payment_due__isnull=True) | Q(payment_due__gte=Decimal("0")),
                name="contribution_payment_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(returned_reason=""),
                name="contribution_returned_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_activity_type_display()} by {self.partner} on {self.activity_date}"

    @property
    def by_proxy(self) -> bool:
        return self.entered_by_id is not None and self.entered_by_id != self.partner_id

    @property
    def is_locked(self) -> bool:
        return self.state in {ContributionState.APPROVED, ContributionState.PAID}

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / Decimal(60)).quantize(Decimal("0.01"))


class ExpenseType(models.TextChoices):
    TRAVEL = "travel", _("Travel")
    PARKING = "parking", _("Parking")
    MEALS = "meals", _("Food and drink")
    CARE = "care", _("Care or support costs")
    PHONE_INTERNET = "phone_internet", _("Phone or internet")
    OTHER = "other", _("Other")


def _receipt_path(line: ExpenseLine, filename: str) -> str:
    # The stored name never comes from the uploader.
    return f"receipts/{line.contribution.study_id}/{line.contribution_id}/{line.pk or 'new'}.bin"


class ExpenseLine(models.Model):
    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="expenses"
    )
    expense_type = models.CharField(_("type"), max_length=20, choices=ExpenseType.choices)
    description = models.CharField(_("details"), max_length=200, blank=True)
    amount = models.DecimalField(_("amount (£)"), max_digits=8, decimal_places=2)
    receipt = models.FileField(_("receipt"), upload_to=_receipt_path, blank=True, max_length=255)
    receipt_name = models.CharField(max_length=255, blank=True)
    receipt_content_type = models.CharField(max_length=50, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=Decimal("0")), name="expense_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_expense_type_display()} {money(self.amount)}"
