from __future__ import annotations

from typing import Any, cast

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Profile, User
from portal.accounts.services import PROFILE_FIELDS


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    display_name = forms.CharField(
        label=_("Name"),
        max_length=150,
        help_text=_("How your name appears to others in the portal."),
    )

    class Meta:
        model = Profile
        fields = ["display_name", *PROFILE_FIELDS]
        widgets = {
            "accessibility_needs": forms.Textarea(attrs={"rows": 4}),
            "contact_method": forms.RadioSelect,
            "email_frequency": forms.RadioSelect,
            "acknowledgement": forms.RadioSelect,
            "payment_preference": forms.RadioSelect,
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].initial = self.instance.user.display_name
        self.fields["payment_reduced_percent"].required = False

    def clean_payment_reduced_percent(self) -> int:
        value = self.cleaned_data.get("payment_reduced_percent")
        return value if value is not None else self.instance.payment_reduced_percent or 50

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        if data.get("contact_method") in {"phone", "text"} and not data.get("phone"):
            self.add_error("phone", _("Enter a phone number so we can call or text you."))
        return data


class AccountFromInvitationForm(forms.Form):
    display_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        help_text=_("How your name appears to others in the portal."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Type the password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = cast("dict[str, Any]", super().clean())
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords are not the same."))
        elif password1:
            probe = User(email=self.email, display_name=data.get("display_name", ""))
            try:
                validate_password(password1, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class WelcomeForm(ProfileForm):
    """The first-visit questions: a few of the profile's, each saying why it is asked."""

    class Meta(ProfileForm.Meta):
        fields = [
            "preferred_name",
            "accessibility_needs",
            "contact_method",
            "phone",
            "email_frequency",
            "payment_preference",
            "payment_reduced_percent",
        ]
        help_texts = {
            "preferred_name": _(
                "Why we ask: so the team greets you the way you like, in emails and in "
                "meetings. For example a first name, or a title and surname."
            ),
            "accessibility_needs": _(
                "Why we ask: so we can plan for it. For example large print, a screen "
                "reader, step-free access, breaks in meetings or documents sent early."
            ),
            "contact_method": _(
                "Why we ask: some people would rather have a phone call, a text or a letter "
                "than an email."
            ),
            "phone": _("Only needed if you would like a phone call or a text message."),
            "email_frequency": _(
                "Why we ask: some people like an email for each thing, others one summary. "
                "Everything also appears on your What's new page."
            ),
            "payment_preference": _(
                "Why we ask: partners are offered payment for their time. Some people on "
                "benefits prefer to reduce or decline it. You can change this at any time."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["display_name"]


class LoginForm(AllauthLoginForm):  # type: ignore[misc]
    """allauth's login form, with one "Forgotten your password?" link (the page's) and the
    site's own wording."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "password" in self.fields:
            self.fields["password"].help_text = ""
        if "remember" in self.fields:
            self.fields["remember"].label = _("Remember me")
            self.fields["remember"].help_text = _(
                "Stay logged in on this device. Leave this unticked on a shared computer."
            )
