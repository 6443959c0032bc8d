"""What a person chooses for an involvement log: the period, the studies, and money or not."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.involvement.forms import DateInput
from engagement.models import Study
from portal.formatting import REAL_DATE
from portal.ids import IdMultipleChoiceField


class LogForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        widget=DateInput(),
        error_messages={
            "required": _("Enter the first day the log should cover."),
            "invalid": REAL_DATE,
        },
    )
    end = forms.DateField(
        label=_("To"),
        widget=DateInput(),
        error_messages={
            "required": _("Enter the last day the log should cover."),
            "invalid": REAL_DATE,
        },
    )
    studies = IdMultipleChoiceField(
        label=_("Studies"),
        queryset=Study.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one study.")},
    )
    include_payments = forms.BooleanField(
        label=_("Include payments and expenses"),
        required=False,
        help_text=_(
            "Leave this unticked for a log to show an employer or a referee. Tick it for a "
            "benefits declaration."
        ),
    )

    def __init__(self, *args: Any, studies: QuerySet[Study], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["studies"].queryset = studies  # type: ignore[attr-defined]
        today = timezone.localdate()
        # A year back, counted in days so that 29 February has one too.
        self.fields["start"].initial = today - datetime.timedelta(days=365)
        self.fields["end"].initial = today
        self.fields["studies"].initial = list(studies.values_list("pk", flat=True))

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        start: datetime.date | None = data.get("start")
        end: datetime.date | None = data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The “to” date must be on or after the “from” date."))
        elif end and end > timezone.localdate():
            # A log vouches for what happened: it cannot cover days still to come.
            self.add_error("end", _("The “to” date cannot be after today."))
        return data


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=64,
        help_text=_("It is on the first page of the log, for example 7KQ4-M2XD-9PHT-W3NB-C6RA."),
        error_messages={"required": _("Enter the code printed on the log.")},
    )
