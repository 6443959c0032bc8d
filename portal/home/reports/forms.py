"""Forms of the study report: the narrative the coordinator writes, and the period reported."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.formatting import REAL_DATE
from portal.home.models import StudyReport
from portal.home.reports.content import SECTION_FIELDS, SECTIONS, Period


class NarrativeForm(forms.ModelForm):  # type: ignore[type-arg]
    """The five GRIPP2-SF sections, saved as a draft each time; earlier drafts are kept."""

    # The version the writer started from, so that a save over someone else's is noticed.
    based_on = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    class Meta:
        model = StudyReport
        fields = list(SECTION_FIELDS)
        widgets = {name: forms.Textarea(attrs={"rows": 6}) for name in SECTION_FIELDS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, heading in SECTIONS:
            self.fields[name].label = heading


class PeriodForm(forms.Form):
    """Which dates the figures cover, sent by GET; a bad value is reported, not obeyed."""

    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
        error_messages={"invalid": REAL_DATE},
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
        error_messages={"invalid": REAL_DATE},
    )

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return data

    def period(self) -> Period:
        """The period asked for when it is valid; the whole study otherwise."""
        if not self.is_valid():
            return Period()
        return Period(self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to"))

    def period_query(self) -> str:
        """The valid period as a query string ("" for the whole study)."""
        period = self.period()
        pairs = [
            (name, value.isoformat())
            for name, value in (("date_from", period.start), ("date_to", period.end))
            if value
        ]
        return urlencode(pairs)
