from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from engagement.models import Invitation, Stage, Study
from portal.permissions import Role


class StudyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Study
        fields = ["title", "lay_summary", "status", "response_reminder_days"]
        widgets = {"lay_summary": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "response_reminder_days": _(
                "Coordinators get a weekly note of comments still without an answer after "
                "this many days."
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["response_reminder_days"].required = False

    def clean_response_reminder_days(self) -> int:
        value = self.cleaned_data.get("response_reminder_days")
        if value is None:
            return int(self.instance.response_reminder_days or 7)
        return int(value)


class StageForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Stage
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.study = study

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        clash = Stage.objects.filter(study=self.study, name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("This study already has a stage with that name."))
        return name


class InvitationForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Invitation
        fields = ["email", "role", "message"]
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "role": forms.RadioSelect,
            "message": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "email": _("We will email a link that lets them join. It works once."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.fields["role"]
        role.initial = Role.PARTNER
        # A role must be chosen: no blank "---------" among the radio buttons.
        role.choices = Role.choices  # type: ignore[attr-defined]


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role in this study"), choices=Role.choices, widget=forms.RadioSelect
    )
