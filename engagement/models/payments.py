"""What a study pays partners: rates held as data, each with the date it takes effect."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from engagement.models.studies import Study
from portal.formatting import money


class RateKind(models.TextChoices):
    HOURLY = "hourly", _("Per hour")
    HALF_DAY = "half_day", _("Half day")
    DAY = "day", _("Full day")


class PaymentPolicy(models.Model):
    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="payment_policy")
    receipts_required = models.BooleanField(
        _("receipts are needed for every expense"), default=True
    )
    half_day_from_minutes = models.PositiveIntegerField(
        _("pay the half-day rate from (minutes)"),
        default=150,
        help_text=_("Time at or above this is paid at the half-day rate instead of by the hour."),
    )
    day_from_minutes = models.PositiveIntegerField(
        _("pay the full-day rate from (minutes)"), default=300
    )
    notes = models.TextField(
        _("notes for partners"),
        blank=True,
        max_length=4000,
        help_text=_("For example how and when payments are made, or about vouchers."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "payment policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(day_from_minutes__gt=models.F("half_day_from_minutes")),
                name="policy_day_after_half_day",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment policy of {self.study}"


class PaymentRate(models.Model):
    policy = models.ForeignKey(PaymentPolicy, on_delete=models.CASCADE, related_name="rates")
    kind = models.CharField(_("rate"), max_length=10, choices=RateKind.choices)
    amount = models.DecimalField(_("amount (£)"), max_digits=8, decimal_places=2)
    effective_from = models.DateField(_("in force from"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "kind", "effective_from"], name="rate_once_per_day"
            ),
            models.CheckConstraint(condition=Q(amount__gt=Decimal("0")), name="rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {money(self.amount)} from {self.effective_from}"
