"""Forms for recording involvement: a contribution, what changed, expenses and filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.models import (
    ActivityType,
    Contribution,
    ContributionState,
    ExpenseType,
    ImpactStandard,
    Stage,
    Study,
)
from portal.accounts.models import User

RECEIPT_ACCEPT = ".pdf,.jpg,.jpeg,.png"
DAY_MINUTES = 24 * 60


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _text(label: str, *, required: bool, help_text: str = "") -> forms.CharField:
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

    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=User.objects.none(),
        empty_label=_("Choose a partner"),
        error_messages={
            "required": _("Choose the partner you are recording this for."),
            "invalid_choice": _("Choose one of this study's partners."),
        },
        help_text=_("The partner who took part. You are recording this on their behalf."),
    )
    stage = forms.ModelChoiceField(
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
        help_text=_("The day you did it. For example 27 3 2025."),
        widget=_DateInput(),
        error_messages={
            "required": _("Enter the date."),
            "invalid": _("Enter a real date, for example 27 3 2025."),
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
        self.fields["stage"].queryset = Stage.objects.filter(study=study).order_by("position", "id")
        self.fields["what_they_did"].error_messages["required"] = _("Say briefly what you did.")
        if partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = partners
            self.fields["partner"].label_from_instance = lambda user: user.display_name or str(user)

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
        if date > timezone.localdate():
            raise forms.ValidationError(
                _("The date cannot be in the future. Record involvement once it has happened.")
            )
        return date

    def clean(self) -> dict[str, Any]:
        data = super().clean()
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
        data = super().clean()
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
        widget=_DateInput(),
        error_messages={"invalid": _("Enter a real date, for example 1 4 2025.")},
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=_DateInput(),
        error_messages={"invalid": _("Enter a real date, for example 31 3 2026.")},
    )
    study = forms.ModelChoiceField(
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
        self.fields["study"].queryset = studies
        self.fields["stage"].choices = [("", _("All"))] + [(name, name) for name in stage_names]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The “to” date must be on or after the “from” date."))
        return data
