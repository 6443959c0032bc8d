from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.accounts.forms import ProfileForm, WelcomeForm
from portal.accounts.selectors import account_security
from portal.accounts.services import profile_for, profile_update, profile_welcomed
from portal.http import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = profile_for(request.user)
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=profile)
    if request.method == "POST" and form.is_valid():
        profile_update(profile=profile, by=request.user, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET"])
def security(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Account and security: links to the password, email, two-factor and session pages."""
    return render(request, "accounts/security.html", {"account": account_security(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def welcome(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A first visit: a few questions about how to work with the person, all skippable."""
    profile = profile_for(request.user)
    form = WelcomeForm(request.POST if request.method == "POST" else None, instance=profile)
    if request.method == "POST" and form.is_valid():
        profile_update(
            profile=profile,
            display_name=request.user.display_name,
            by=request.user,
            **form.cleaned_data,
        )
        messages.success(
            request,
            _(
                "Thank you, your answers are saved. You can change them at any time "
                "on your profile."
            ),
        )
        return redirect("dashboard")
    profile_welcomed(profile=profile)
    return render(request, "accounts/welcome.html", {"form": form})
