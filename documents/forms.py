from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import Document, Outcome, Version, Visibility
from documents.services.comments import plain_text
from documents.services.rounds import deadline_refusal, opening_refusal
from engagement.models import Stage, Study
from portal.accounts.models import User
from portal.ids import IdChoiceField, IdMultipleChoiceField

ACCEPT = ".docx,.odt,.pdf,.md,.markdown,.txt"


class _UploadField(forms.FileField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label=_("File"),
            help_text=_(
                "A Word document (.docx), OpenDocument text (.odt), PDF, Markdown (.md) or "
                "plain text (.txt) file."
            ),
            widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
            **kwargs,
        )


class TypedText(forms.CharField):
    """What is typed in a box, with its line breaks as the box counts them.

    A browser sends each line break as two characters but counts it as one against the box's
    limit, so a box filled to its limit would be refused for being too long.
    """

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return plain_text(value) if isinstance(value, str) else value


class DocumentForm(forms.ModelForm):  # type: ignore[type-arg]
    file = _UploadField()
    change_summary = forms.CharField(
        label=_("Notes on this version (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = Document
        fields = ["title", "kind", "stage"]
        field_classes = {"stage": IdChoiceField}

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(study=study).order_by("position")  # type: ignore[attr-defined]
        self.fields["stage"].empty_label = _("Not tied to a stage")  # type: ignore[attr-defined]


class VersionForm(forms.Form):
    file = _UploadField()
    change_summary = forms.CharField(
        label=_("What changed in this version"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Partners read this first. Say what changed and why, in plain words."),
    )


class CommentForm(forms.Form):
    body = TypedText(
        label=_("Your comment"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 5})
    )
    visibility = forms.ChoiceField(
        label=_("Who can see this comment?"),
        choices=Visibility.choices,
        initial=Visibility.MEMBERS,
        widget=forms.RadioSelect,
    )
    block = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)
    selectors = forms.JSONField(required=False, widget=forms.HiddenInput)


class ReplyForm(forms.Form):
    body = TypedText(
        label=_("Your reply"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )


class EditForm(forms.Form):
    body = TypedText(
        label=_("Your comment"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 5})
    )


class ReopenForm(forms.Form):
    note = TypedText(
        label=_("What still needs to change?"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ResponseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What happened?"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    body = TypedText(
        label=_("What we did"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Written to the partner: what you changed, or what you will do."),
    )
    reason = TypedText(
        label=_("Why it was not changed"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when nothing was changed."),
    )
    changed_in = IdChoiceField(
        label=_("Version with the change"),
        queryset=Version.objects.none(),
        required=False,
        empty_label=_("Not uploaded yet"),
    )

    def __init__(self, *args: Any, versions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["changed_in"].queryset = versions  # type: ignore[attr-defined]
        self.fields["changed_in"].label_from_instance = lambda v: (  # type: ignore[attr-defined]
            _("Version %(n)s") % {"n": v.number}
        )

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        if data.get("outcome") == Outcome.NOT_CHANGED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason nothing was changed."))
        return data


class _LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class RoundForm(forms.Form):
    opens_at = forms.DateTimeField(
        label=_("Opens"), widget=_LocalDateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"]
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"), widget=_LocalDateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"]
    )
    instructions = forms.CharField(
        label=_("Instructions for reviewers"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example which parts to focus on, and how long it should take."),
    )
    independent = forms.BooleanField(
        label=_("Independent review: partners see others' comments only after finishing"),
        required=False,
    )
    reminder_days = forms.CharField(
        label=_("Remind partners who have not finished, this many days before the deadline"),
        required=False,
        max_length=40,
        initial="3, 1",
        help_text=_("Days separated by commas, for example 3, 1. Leave it empty for no reminders."),
    )
    partners = IdMultipleChoiceField(
        label=_("Partners asked to review"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Everyone is chosen to begin with."),
        error_messages={
            "required": _("Choose at least one partner of this study to review it."),
            "invalid_choice": _("Choose partners of this study from the list."),
            "invalid_pk_value": _("Choose partners of this study from the list."),
        },
    )

    def __init__(self, *args: Any, partners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = partners  # type: ignore[attr-defined]
        self.fields["partners"].initial = list(partners)
        self.fields["partners"].label_from_instance = lambda user: user.display_name  # type: ignore[attr-defined]
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["opens_at"].initial = now
        self.fields["deadline"].initial = now + dt.timedelta(days=14)

    def clean_reminder_days(self) -> list[int]:
        raw = self.cleaned_data.get("reminder_days") or ""
        parts = [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]
        if not all(part.isascii() and part.isdigit() for part in parts):
            raise forms.ValidationError(_("Enter whole numbers of days, for example 3, 1."))
        days = sorted({int(part) for part in parts}, reverse=True)
        if any(not 1 <= day <= 60 for day in days) or len(days) > 5:
            raise forms.ValidationError(_("Choose up to five days, each from 1 to 60."))
        return days

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        opens_at, deadline = data.get("opens_at"), data.get("deadline")
        now = timezone.now()
        if opens_at and (refusal := opening_refusal(opens_at, now)):
            self.add_error("opens_at", refusal)
        if opens_at and deadline and deadline <= opens_at:
            self.add_error("deadline", _("The deadline must be after the opening time."))
        elif deadline and (refusal := deadline_refusal(deadline, now)):
            self.add_error("deadline", refusal)
        return data


class ExtendForm(forms.Form):
    deadline = forms.DateTimeField(
        label=_("New deadline"), widget=_LocalDateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"]
    )

    def clean_deadline(self) -> dt.datetime:
        deadline: dt.datetime = self.cleaned_data["deadline"]
        refusal = deadline_refusal(deadline)
        if refusal is not None:
            raise forms.ValidationError(refusal)
        return deadline


class FinishForm(forms.Form):
    hours = forms.IntegerField(label=_("Hours"), min_value=0, max_value=24, initial=0)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=59, initial=0)

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        total = (data.get("hours") or 0) * 60 + (data.get("minutes") or 0)
        if not self.errors and not 1 <= total <= 24 * 60:
            self.add_error("hours", _("Enter the time you spent, between 1 minute and 24 hours."))
        data["minutes_spent"] = total
        return data


class WordCommentsForm(forms.Form):
    file = forms.FileField(
        label=_("Your Word file with comments (.docx)"),
        help_text=_(
            "The Word file of this version (“Download as Word, with the comments” gives you one) "
            "with your comments, replies or tracked changes added."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".docx"}),
    )

    partner = IdChoiceField(
        label=_("Whose comments are these?"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Mine"),
        error_messages={"invalid_choice": _("Choose one of this study's partners.")},
        help_text=_(
            "Choose a partner to add the comments on their behalf, from a Word file they sent "
            "you. They will be the partner's comments, shown as entered by you."
        ),
    )

    field_order = ["partner", "file"]

    def __init__(self, *args: Any, partners: QuerySet[User] | None = None, **kwargs: Any) -> None:
        """``partners``: the study's current partners, for a coordinator; None for anyone else,
        who sends only their own comments."""
        super().__init__(*args, **kwargs)
        if partners is None:
            del self.fields["partner"]
        else:
            field = self.fields["partner"]
            field.queryset = partners  # type: ignore[attr-defined]
            field.label_from_instance = lambda user: user.name_seen  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".docx"):
            raise forms.ValidationError(_("Choose a Word file ending in .docx."))
        return upload
