"""Payment policies and rates, and what a partner is due for their time."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from engagement.involvement.selectors import rate_in_force, rate_is_used
from engagement.models import PaymentPolicy, PaymentRate, RateKind, Study
from portal.accounts.models import PaymentPreference
from portal.formatting import PENNY
from portal.rules import RuleBroken

EXAMPLE_RATES = Path(__file__).resolve().parents[1] / "data" / "example_rates.json"
DAY_MINUTES = 24 * 60
MAX_RATE = Decimal("10000")


@transaction.atomic
def payment_policy_create(*, study: Study) -> PaymentPolicy:
    """A new study's policy, starting from the example rates; safe to call twice."""
    policy, created = PaymentPolicy.objects.get_or_create(study=study)
    if created:
        rates = json.loads(EXAMPLE_RATES.read_text())["rates"]
        # With their history, so that the policy page can say where the rates came from.
        bulk_create_with_history(
            [
                PaymentRate(
                    policy=policy,
                    kind=rate["kind"],
                    amount=Decimal(rate["amount"]),
                    effective_from=dt.date.fromisoformat(rate["effective_from"]),
                )
                for rate in rates
            ],
            PaymentRate,
        )
    return policy


@transaction.atomic
def policy_update(
    *,
    policy: PaymentPolicy,
    receipts_required: bool,
    notes: str,
    half_day_from_minutes: int,
    day_from_minutes: int,
) -> PaymentPolicy:
    """Change the policy's rules; rates are added and removed one by one."""
    if not 1 <= half_day_from_minutes <= DAY_MINUTES or not 1 <= day_from_minutes <= DAY_MINUTES:
        raise RuleBroken(_("Enter times between 1 minute and 24 hours."))
    if day_from_minutes <= half_day_from_minutes:
        raise RuleBroken(_("The full-day rate must start after the half-day rate does."))
    policy = PaymentPolicy.objects.select_for_update().get(pk=policy.pk)
    policy.receipts_required = receipts_required
    policy.notes = (notes or "").strip()
    policy.half_day_from_minutes = half_day_from_minutes
    policy.day_from_minutes = day_from_minutes
    policy.save()
    return policy


def rate_add(
    *, policy: PaymentPolicy, kind: str, amount: Decimal, effective_from: dt.date
) -> PaymentRate:
    """A new rate from a date; the ones before it stay for contributions before that date."""
    if kind not in RateKind.values:
        raise RuleBroken(_("Choose which rate this is."))
    if not Decimal("0") < amount <= MAX_RATE:
        raise RuleBroken(_("Enter an amount between £0.01 and £10,000."))
    try:
        with transaction.atomic():
            return PaymentRate.objects.create(
                policy=policy, kind=kind, amount=amount, effective_from=effective_from
            )
    except IntegrityError:
        raise RuleBroken(
            _("There is already a %(kind)s rate from that date. Remove it first to change it.")
            % {"kind": RateKind(kind).label.lower()}
        ) from None


def rate_remove(*, rate: PaymentRate) -> None:
    """Remove a rate nobody has been paid at; one that was used stays, for the record."""
    refusal = _(
        "The %(rate)s rate cannot be removed: approved contributions were paid at "
        "it. Add a new rate from a later date instead."
    ) % {"rate": rate}
    if rate_is_used(rate):
        raise RuleBroken(refusal)
    try:
        with transaction.atomic():
            rate.delete()
    except ProtectedError:
        raise RuleBroken(refusal) from None


@dataclass(frozen=True)
class PaymentDue:
    amount: Decimal | None  # None when no rate is in force for that date
    rate: PaymentRate | None
    explanation: str


def payment_for_time(
    *,
    policy: PaymentPolicy,
    minutes: int,
    on: dt.date,
    preference: str,
    reduced_percent: int = 100,
) -> PaymentDue:
    """What the time is worth under the policy on that date, after the partner's choice.

    Time at or above the policy's thresholds is paid at the half-day or day rate; below,
    by the hour, to the minute. A partner who declines payment is due nothing.
    """
    if preference == PaymentPreference.DECLINE:
        return PaymentDue(Decimal("0.00"), None, _("The partner declined payment."))
    if minutes >= policy.day_from_minutes:
        kind = RateKind.DAY
    elif minutes >= policy.half_day_from_minutes:
        kind = RateKind.HALF_DAY
    else:
        kind = RateKind.HOURLY
    rate = rate_in_force(policy, kind, on)
    if rate is None:
        return PaymentDue(
            None,
            None,
            _("No %(kind)s rate is in force on %(date)s; add one to the payment policy.")
            % {"kind": RateKind(kind).label.lower(), "date": on.isoformat()},
        )
    hourly = rate if kind == RateKind.HOURLY else rate_in_force(policy, RateKind.HOURLY, on)
    by_the_hour = hourly.amount * Decimal(minutes) / Decimal(60) if hourly else None
    amount = rate.amount if by_the_hour is None else max(by_the_hour, rate.amount)
    if kind == RateKind.HOURLY:
        amount = by_the_hour or rate.amount
    # More time never pays less: a band rate is a floor over the hourly pay, and the day rate
    # is the most a day can earn.
    day = rate if kind == RateKind.DAY else rate_in_force(policy, RateKind.DAY, on)
    if day is not None:
        amount = min(amount, max(day.amount, rate.amount))
    explanation = str(rate)
    if preference == PaymentPreference.REDUCE:
        amount = amount * Decimal(reduced_percent) / Decimal(100)
        explanation += " " + _("reduced to %(p)s%% at the partner's request") % {
            "p": reduced_percent
        }
    return PaymentDue(amount.quantize(PENNY, rounding=ROUND_HALF_UP), rate, explanation)
