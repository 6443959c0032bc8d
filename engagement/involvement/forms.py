"""Forms for involvement: recording a contribution, what changed and expenses; approving,
returning and paying; the payment policy and its rates; the history and export filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.involvement.selectors import HISTORY_STATES, HistoryFilters
from engagement.involvement.services.contributions import (
    activity_date_refusal,
    earliest_activity_date,
)
from engagement.models import (
    ActivityType,
    Contribution,
    ContributionState,
    ExpenseType,
    ImpactStandard,
    PaymentPolicy,
    PaymentRate,
    RateKind,
    Stage,
    Study,
)
from portal.accounts.models import User
from portal.formatting import REAL_DATE
from portal.ids import IdChoiceField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

RECEIPT_ACCEPT = ".pdf,.jpg,.jpeg,.png"
DAY_MINUTES = 24 * 60


class DateInput(forms.DateInput):
    """A date picker that shows and takes ISO dates, as browsers' pickers send them."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _text(label: StrOrPromise, *, required: bool, help_text: StrOrPromise = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=4000,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _impact_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Which of the UK Standards for Public Involvement does this touch? (optional)"),
        choices=ImpactStandard.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ContributionForm(forms.Form):
    """One piece of involvement. A coordinator also chooses the partner it is for."""

    partner = IdChoiceField(
        label=_("Partner"),
        queryset=User.objects.none(),
        empty_label=_("Choose a partner"),
        error_messages={
            "required": _("Choose the partner you are recording this for."),
            "invalid_choice": _("Choose one of this study's partners."),
        },
        help_text=_("The partner who took part. You are recording this on their behalf."),
    )
    stage = IdChoiceField(
        label=_("Stage of the study"),
        queryset=Stage.objects.none(),
        empty_label=_("Choose a stage"),
        error_messages={
            "required": _("Choose the stage of the study."),
            "invalid_choice": _("Choose one of this study's stages."),
        },
    )
    activity_type = forms.ChoiceField(
        label=_("What kind of activity was it?"),
        choices=[("", _("Choose an activity")), *ActivityType.choices],
        error_messages={
            "required": _("Choose what kind of activity it was."),
            "invalid_choice": _("Choose what kind of activity it was, from the list."),
        },
    )
    activity_date = forms.DateField(
        label=_("Date"),
        help_text=_("The day you did it."),
        widget=DateInput(),
        error_messages={
            "required": _("Enter the date."),
            "invalid": REAL_DATE,
        },
    )
    hours = forms.IntegerField(
        label=_("Hours"),
        required=False,
        initial=0,
        widget=forms.NumberInput(attrs={"min": 0, "max": 24, "inputmode": "numeric"}),
        error_messages={"invalid": _("Enter the hours as a whole number, for example 2.")},
    )
    minutes = forms.IntegerField(
        label=_("Minutes"),
        required=False,
        initial=0,
        widget=forms.NumberInput(attrs={"min": 0, "max": 59, "inputmode": "numeric"}),
        error_messages={"invalid": _("Enter the minutes as a whole number, for example 30.")},
    )
    what_they_did = _text(_("What you did"), required=True)
    hoped_to_influence = _text(_("What you hoped to influence (optional)"), required=False)
    what_changed = _text(
        _("What changed as a result (optional)"),
        required=False,
        help_text=_("You can add this later, when you know."),
    )
    impact_standards = _impact_field()

    def __init__(
        self,
        *args: Any,
        study: Study,
        partners: QuerySet[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(study=study).order_by("position", "id")  # type: ignore[attr-defined]
        self.fields["what_they_did"].error_messages["required"] = _("Say briefly what you did.")
        self.fields["activity_date"].widget.attrs.update(
            min=earliest_activity_date().isoformat(), max=timezone.localdate().isoformat()
        )
        if partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = partners  # type: ignore[attr-defined]
            self.fields["partner"].label_from_instance = lambda user: user.display_name or str(user)  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, contribution: Contribution) -> dict[str, Any]:
        return {
            "stage": contribution.stage_id,
            "activity_type": contribution.activity_type,
            "activity_date": contribution.activity_date,
            "hours": contribution.minutes // 60,
            "minutes": contribution.minutes % 60,
            "what_they_did": contribution.what_they_did,
            "hoped_to_influence": contribution.hoped_to_influence,
            "what_changed": contribution.what_changed,
            "impact_standards": contribution.impact_standards,
        }

    def clean_activity_date(self) -> Any:
        date = self.cleaned_data["activity_date"]
        refusal = activity_date_refusal(date)
        if refusal is not None:
            raise forms.ValidationError(refusal)
        return date

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        if "hours" in self.errors or "minutes" in self.errors:
            return data
        hours, minutes = data.get("hours") or 0, data.get("minutes") or 0
        if hours < 0 or minutes < 0:
            self.add_error("hours", _("The time spent cannot be less than nothing."))
        elif minutes > 59:
            self.add_error("minutes", _("Enter the minutes as a number from 0 to 59."))
        elif hours * 60 + minutes == 0:
            self.add_error("hours", _("Enter how long it took: at least 1 minute."))
        elif hours * 60 + minutes > DAY_MINUTES:
            self.add_error("hours", _("Enter no more than 24 hours: that is a whole day."))
        else:
            data["total_minutes"] = hours * 60 + minutes
        return data


class ImpactForm(forms.Form):
    what_changed = _text(
        _("What changed as a result"),
        required=True,
        help_text=_("For example a question that was reworded, or a decision the team made."),
    )
    impact_standards = _impact_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["what_changed"].error_messages["required"] = _("Say what changed.")


class ExpenseForm(forms.Form):
    expense_type = forms.ChoiceField(
        label=_("Type of expense"),
        choices=[("", _("Choose a type")), *ExpenseType.choices],
        error_messages={"required": _("Choose the type of expense.")},
    )
    description = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        max_length=200,
        help_text=_("For example “Bus fare to the hospital and back”."),
    )
    amount = forms.DecimalField(
        label=_("Amount in pounds"),
        max_digits=8,
        decimal_places=2,
        help_text=_("For example 12.50"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "required": _("Enter the amount, for example 12.50."),
            "invalid": _("Enter the amount in pounds, for example 12.50."),
            "max_digits": _("Enter an amount up to £10,000."),
            "max_decimal_places": _("Enter the amount in pounds and pence, for example 12.50."),
            "max_whole_digits": _("Enter an amount up to £10,000."),
        },
    )
    receipt = forms.FileField(
        label=_("Receipt"),
        required=False,
        help_text=_("A photo (JPEG or PNG) or a PDF, up to 5 MB."),
        widget=forms.FileInput(attrs={"accept": RECEIPT_ACCEPT}),
    )

    def __init__(self, *args: Any, receipts_required: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.receipts_required = receipts_required
        if receipts_required:
            self.fields["receipt"].help_text = _(
                "This study needs a receipt for every expense. "
                "A photo (JPEG or PNG) or a PDF, up to 5 MB."
            )

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        if self.receipts_required and not data.get("receipt") and "receipt" not in self.errors:
            self.add_error(
                "receipt",
                _("This study needs a receipt for every expense. Add a photo or PDF of it."),
            )
        return data


class InvolvementFilterForm(forms.Form):
    """Filters for "Your involvement", sent by GET; a bad value is reported, not obeyed."""

    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": REAL_DATE},
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": REAL_DATE},
    )
    study = IdChoiceField(
        label=_("Study"), queryset=Study.objects.none(), required=False, empty_label=_("All")
    )
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    activity = forms.ChoiceField(
        label=_("Activity"),
        required=False,
        choices=[("", _("All")), *ActivityType.choices],
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), *ContributionState.choices],
    )

    def __init__(
        self, *args: Any, studies: QuerySet[Study], stage_names: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["study"].queryset = studies  # type: ignore[attr-defined]
        self.fields["stage"].choices = [("", _("All"))] + [(name, name) for name in stage_names]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The “to” date must be on or after the “from” date."))
        return data


# --- approving, returning and paying ----------------------------------------------------


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
        reason: str = self.cleaned_data["reason"].strip()
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
            "invalid": REAL_DATE,
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


class PolicyForm(forms.ModelForm):  # type: ignore[type-arg]
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
        data = cast("dict[str, Any]", super().clean())
        names = ("half_day_hours", "half_day_minutes", "day_hours", "day_minutes")
        if any(data.get(name) is None for name in names):
            return data
        half_day = data["half_day_hours"] * 60 + data["half_day_minutes"]
        day = data["day_hours"] * 60 + data["day_minutes"]
        if not 1 <= half_day <= DAY_MINUTES:
            self.add_error(
                "half_day_hours", _("Enter a time between 1 minute and 24 hours for a half day.")
            )
        elif not 1 <= day <= DAY_MINUTES:
            self.add_error("day_hours", _("Enter a time between 1 minute and 24 hours for a day."))
        elif day <= half_day:
            self.add_error(
                "day_hours", _("The full-day rate must start after the half-day rate does.")
            )
        else:
            data["half_day_from_minutes"] = half_day
            data["day_from_minutes"] = day
        return data

    def policy_fields(self) -> dict[str, Any]:
        """What the payment policy service takes, once the form is valid."""
        return {
            "receipts_required": self.cleaned_data["receipts_required"],
            "notes": self.cleaned_data["notes"],
            "half_day_from_minutes": self.cleaned_data["half_day_from_minutes"],
            "day_from_minutes": self.cleaned_data["day_from_minutes"],
        }


class RateForm(forms.ModelForm):  # type: ignore[type-arg]
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
        self.fields["kind"].choices = RateKind.choices  # type: ignore[attr-defined]

    def clean_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["amount"]
        if not Decimal("0") < amount <= Decimal("10000"):
            raise forms.ValidationError(_("Enter an amount between £0.01 and £10,000."))
        return amount

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
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

    def rate_fields(self) -> dict[str, Any]:
        """What the rate service takes, once the form is valid."""
        return {
            "kind": self.cleaned_data["kind"],
            "amount": self.cleaned_data["amount"],
            "effective_from": self.cleaned_data["effective_from"],
        }


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
        data = cast("dict[str, Any]", super().clean())
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the period must be on or after its start."))
        return data


# --- involvement history ------------------------------------------------------------------


class HistoryFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    stage = forms.TypedChoiceField(label=_("Stage"), required=False, coerce=int, empty_value=None)
    study = forms.TypedChoiceField(label=_("Study"), required=False, coerce=int, empty_value=None)
    activity_type = forms.ChoiceField(
        label=_("Activity"),
        required=False,
        choices=[("", _("All activities")), *ActivityType.choices],
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("All but drafts")),
            *[(value, ContributionState(value).label) for value in HISTORY_STATES],
        ],
    )

    def __init__(
        self,
        data: Any,
        *,
        stages: Iterable[Stage] | None = None,
        studies: Iterable[tuple[int, str]] | None = None,
    ) -> None:
        super().__init__(data)
        if stages is None:
            del self.fields["stage"]
        else:
            self.fields["stage"].choices = [  # type: ignore[attr-defined]
                ("", _("All stages")),
                *[(stage.pk, stage.name) for stage in stages],
            ]
        if studies is None:
            del self.fields["study"]
        else:
            self.fields["study"].choices = [("", _("All studies")), *studies]  # type: ignore[attr-defined]
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs["class"] = css

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return cleaned

    def filters(self) -> HistoryFilters:
        """The filters that are valid; a field with an error is left out."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        errors = set(self.errors)
        for name in errors & set(self.fields):
            # Screen readers announce the field as wrong and read its message with it.
            attrs = self.fields[name].widget.attrs
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"{self[name].id_for_label}-error"
        value = {name: (None if name in errors else data.get(name)) for name in self.fields}
        if "date_to" in errors:
            value["date_from"] = None
        return HistoryFilters(
            date_from=value.get("date_from"),
            date_to=value.get("date_to"),
            stage_id=value.get("stage"),
            study_id=value.get("study"),
            activity_type=value.get("activity_type") or "",
            state=value.get("state") or "",
        )
