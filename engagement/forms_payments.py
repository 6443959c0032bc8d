"""Forms for approving contributions, paying partners and editing a study's payment policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.models import PaymentPolicy, PaymentRate, RateKind

MAX_DAY_MINUTES = 24 * 60


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("What needs changing"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "The partner sees this, so say plainly what to change before they send it again."
        ),
        error_messages={"required": _("Say what needs changing, so the partner knows what to do.")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(
                _("Say what needs changing, so the partner knows what to do.")
            )
        return reason


class PaidForm(forms.Form):
    """When a payment (or an expenses reimbursement) was made, and its reference."""

    paid_on = forms.DateField(
        label=_("Date paid"),
        widget=DateInput(),
        error_messages={
            "required": _("Enter the date it was paid."),
            "invalid": _("Enter a real date, for example 27/11/2026."),
        },
    )
    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=100,
        required=False,
        help_text=_("For example the bank transfer or voucher reference finance gave you."),
    )

    def clean_paid_on(self) -> dt.date:
        paid_on: dt.date = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise forms.ValidationError(_("The payment date cannot be in the future."))
        return paid_on


def _split(minutes: int) -> tuple[int, int]:
    return divmod(minutes, 60)


class PolicyForm(forms.ModelForm):
    """The policy, with the half-day and day thresholds entered as hours and minutes."""

    half_day_hours = forms.IntegerField(
        label=_("Hours"), min_value=0, max_value=24, error_messages={"required": _("Enter hours.")}
    )
    half_day_minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=0,
        max_value=59,
        error_messages={"required": _("Enter minutes, 0 if none.")},
    )
    day_hours = forms.IntegerField(
        label=_("Hours"), min_value=0, max_value=24, error_messages={"required": _("Enter hours.")}
    )
    day_minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=0,
        max_value=59,
        error_messages={"required": _("Enter minutes, 0 if none.")},
    )

    class Meta:
        model = PaymentPolicy
        fields = ["receipts_required", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policy: PaymentPolicy = self.instance
        self.initial["half_day_hours"], self.initial["half_day_minutes"] = _split(
            policy.half_day_from_minutes
        )
        self.initial["day_hours"], self.initial["day_minutes"] = _split(policy.day_from_minutes)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        names = ("half_day_hours", "half_day_minutes", "day_hours", "day_minutes")
        if any(data.get(name) is None for name in names):
            return data
        half_day = data["half_day_hours"] * 60 + data["half_day_minutes"]
        day = data["day_hours"] * 60 + data["day_minutes"]
        if not 1 <= half_day <= MAX_DAY_MINUTES:
            self.add_error(
                "half_day_hours", _("Enter a time between 1 minute and 24 hours for a half day.")
            )
        elif not 1 <= day <= MAX_DAY_MINUTES:
            self.add_error("day_hours", _("Enter a time between 1 minute and 24 hours for a day."))
        elif day <= half_day:
            self.add_error(
                "day_hours", _("The full-day rate must start after the half-day rate does.")
            )
        else:
            data["half_day_from_minutes"] = half_day
            data["day_from_minutes"] = day
        return data

    def save(self, commit: bool = True) -> PaymentPolicy:
        policy: PaymentPolicy = super().save(commit=False)
        policy.half_day_from_minutes = self.cleaned_data["half_day_from_minutes"]
        policy.day_from_minutes = self.cleaned_data["day_from_minutes"]
        if commit:
            policy.save()
        return policy


class RateForm(forms.ModelForm):
    class Meta:
        model = PaymentRate
        fields = ["kind", "amount", "effective_from"]
        widgets = {"kind": forms.RadioSelect, "effective_from": DateInput()}
        labels = {"kind": _("Which rate"), "amount": _("Amount (£)")}
        help_texts = {
            "amount": _("For the hourly rate, the amount for one hour."),
            "effective_from": _(
                "Contributions on or after this date are paid at this rate when approved."
            ),
        }
        error_messages = {
            "kind": {"required": _("Choose which rate this is.")},
            "amount": {"required": _("Enter the amount in pounds, for example 27.50.")},
            "effective_from": {
                "required": _("Enter the date the rate takes effect."),
                "invalid": _("Enter a real date, for example 16/12/2025."),
            },
        }

    def __init__(self, *args: Any, policy: PaymentPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.fields["kind"].choices = RateKind.choices

    def clean_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["amount"]
        if not Decimal("0") < amount <= Decimal("10000"):
            raise forms.ValidationError(_("Enter an amount between £0.01 and £10,000."))
        return amount

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, effective_from = data.get("kind"), data.get("effective_from")
        if (
            kind
            and effective_from
            and PaymentRate.objects.filter(
                policy=self.policy, kind=kind, effective_from=effective_from
            ).exists()
        ):
            self.add_error(
                "effective_from",
                _("There is already a %(kind)s rate from that date. Remove it first to change it.")
                % {"kind": RateKind(kind).label.lower()},
            )
        return data

    def save(self, commit: bool = True) -> PaymentRate:
        rate: PaymentRate = super().save(commit=False)
        rate.policy = self.policy
        if commit:
            rate.save()
        return rate


class ExportFormat:
    CSV = "csv"
    XLSX = "xlsx"
    CHOICES = ((CSV, _("CSV (opens in any spreadsheet program)")), (XLSX, _("Excel (XLSX)")))


class ExportForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"),
        widget=DateInput(),
        error_messages={
            "required": _("Enter the first day of the period."),
            "invalid": _("Enter a real date, for example 1/4/2026."),
        },
    )
    date_to = forms.DateField(
        label=_("To"),
        widget=DateInput(),
        error_messages={
            "required": _("Enter the last day of the period."),
            "invalid": _("Enter a real date, for example 31/3/2027."),
        },
    )
    basis = forms.ChoiceField(
        label=_("Which dates decide what is in the period?"),
        choices=(
            ("activity", _("When the involvement happened")),
            ("paid", _("When it was paid (payments or expenses)")),
        ),
        initial="activity",
        required=False,
        widget=forms.RadioSelect,
    )
    file_format = forms.ChoiceField(
        label=_("File format"),
        choices=ExportFormat.CHOICES,
        initial=ExportFormat.CSV,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a file format.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the period must be on or after its start."))
        return data
