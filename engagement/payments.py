"""Payment policies and rates, and what a partner is due for their time."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from engagement.models import PaymentPolicy, PaymentRate, RateKind, Study
from portal.accounts.models import PaymentPreference

EXAMPLE_RATES = Path(__file__).resolve().parent / "data" / "example_rates.json"
PENNY = Decimal("0.01")


def policy_for(study: Study) -> PaymentPolicy:
    """The study's policy; a study without one gets the example rates to start from."""
    policy = PaymentPolicy.objects.filter(study=study).first()
    if policy is not None:
        return policy
    with transaction.atomic():
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


def rate_in_force(policy: PaymentPolicy, kind: str, on: dt.date) -> PaymentRate | None:
    return (
        PaymentRate.objects.filter(policy=policy, kind=kind, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )


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
