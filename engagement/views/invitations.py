from __future__ import annotations

from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth import login
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from engagement.models import Invitation
from engagement.services import (
    Acceptance,
    InvitationProblem,
    invitation_accept,
    invitation_from_token,
)
from portal.accounts.forms import AccountFromInvitationForm
from portal.accounts.selectors import welcome_due
from portal.accounts.services import user_by_email, user_create, user_owns_email
from portal.permissions import Role
from portal.rules import RuleBroken

_PROBLEM_STATUS = {
    InvitationProblem.INVALID: 404,
    InvitationProblem.EXPIRED: 410,
    InvitationProblem.USED: 410,
    InvitationProblem.WITHDRAWN: 410,
}


def _problem(
    request: HttpRequest, invitation: Invitation | None, problem: InvitationProblem
) -> HttpResponse:
    return render(
        request,
        "engagement/invitation_problem.html",
        {"invitation": invitation, "problem": problem.value},
        status=_PROBLEM_STATUS[problem],
    )


def _joined(request: HttpRequest, invitation: Invitation, acceptance: Acceptance) -> HttpResponse:
    if acceptance.joined:
        messages.success(
            request,
            _("Welcome. You have joined “%(study)s”.") % {"study": invitation.study.title},
        )
        # A partner's first visit: how they would like to be worked with (skippable, once).
        if acceptance.membership.role == Role.PARTNER and welcome_due(acceptance.membership.user):
            return redirect("welcome")
    else:
        messages.info(
            request,
            _("You were already a member of “%(study)s” as %(role)s. Nothing has changed.")
            % {
                "study": invitation.study.title,
                "role": acceptance.membership.get_role_display(),
            },
        )
    return redirect("dashboard")


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation, problem = invitation_from_token(token)
    if problem is not None or invitation is None:
        return _problem(request, invitation, problem or InvitationProblem.INVALID)

    if request.user.is_authenticated:
        if not user_owns_email(request.user, invitation.email):
            return render(
                request,
                "engagement/invitation_wrong_account.html",
                {"invitation": invitation},
                status=403,
            )
        if request.method == "POST":
            try:
                acceptance = invitation_accept(invitation=invitation, user=request.user)
            except RuleBroken:
                return _problem(request, invitation, InvitationProblem.USED)
            return _joined(request, invitation, acceptance)
        return render(request, "engagement/invitation_confirm.html", {"invitation": invitation})

    # The link was sent to this address, so saying it has an account reveals nothing new.
    if user_by_email(invitation.email) is not None:
        return render(request, "engagement/invitation_login.html", {"invitation": invitation})

    form = AccountFromInvitationForm(
        request.POST if request.method == "POST" else None, email=invitation.email
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = user_create(
                    email=invitation.email,
                    display_name=form.cleaned_data["display_name"].strip(),
                    password=form.cleaned_data["password1"],
                    verified=True,
                )
                acceptance = invitation_accept(invitation=invitation, user=user)
        except IntegrityError:
            return render(request, "engagement/invitation_login.html", {"invitation": invitation})
        except RuleBroken:
            return _problem(request, invitation, InvitationProblem.USED)
        login(request, user, backend="portal.accounts.backends.PortalModelBackend")
        UserSession.objects.create_from_request(request)  # listed under "Where you are logged in"
        return _joined(request, invitation, acceptance)
    return render(
        request, "engagement/invitation_signup.html", {"invitation": invitation, "form": form}
    )
