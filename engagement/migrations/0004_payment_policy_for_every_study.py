"""Every study has a payment policy, so that reading one never has to create it."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations
from django.utils import timezone

EXAMPLE_RATES = (
    Path(__file__).resolve().parents[1] / "involvement" / "data" / "example_rates.json"
)


def create_missing_policies(apps, schema_editor):
    Study = apps.get_model("engagement", "Study")
    PaymentPolicy = apps.get_model("engagement", "PaymentPolicy")
    PaymentRate = apps.get_model("engagement", "PaymentRate")
    HistoricalPaymentPolicy = apps.get_model("engagement", "HistoricalPaymentPolicy")
    HistoricalPaymentRate = apps.get_model("engagement", "HistoricalPaymentRate")
    rates = json.loads(EXAMPLE_RATES.read_text())["rates"]
    now = timezone.now()
    for study in Study.objects.filter(payment_policy__isnull=True).iterator():
        policy = PaymentPolicy.objects.create(study=study)
        HistoricalPaymentPolicy.objects.create(
            id=policy.pk,
            study_id=study.pk,
            receipts_required=policy.receipts_required,
            half_day_from_minutes=policy.half_day_from_minutes,
            day_from_minutes=policy.day_from_minutes,
            notes=policy.notes,
            history_date=now,
            history_type="+",
        )
        for rate in rates:
            created = PaymentRate.objects.create(
                policy=policy,
                kind=rate["kind"],
                amount=Decimal(rate["amount"]),
                effective_from=dt.date.fromisoformat(rate["effective_from"]),
            )
            HistoricalPaymentRate.objects.create(
                id=created.pk,
                policy_id=policy.pk,
                kind=created.kind,
                amount=created.amount,
                effective_from=created.effective_from,
                history_date=now,
                history_type="+",
            )


class Migration(migrations.Migration):
    dependencies = [("engagement", "0003_contribution_historicalexpenseline_and_more")]

    operations = [migrations.RunPython(create_missing_policies, migrations.RunPython.noop)]
