from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from engagement.access import StudyAccess, not_done, partner_in, post_only, study_view
from engagement.forms import InvitationForm, MembershipRoleForm
from engagement.involvement.sensitive import profile_viewed
from engagement.models import Invitation, Membership
from engagement.selectors import study_members, study_past_members, study_pending_invitations
from engagement.services import (
    invitation_create,
    invitation_resend,
    invitation_revoke,
    membership_change_role,
    membership_end,
)
from portal.accounts.models import Profile
from portal.http import AuthenticatedHttpRequest, KeptForm
from portal.notifications.selectors import failed_for_study
from portal.permissions import Action
from portal.rules import RuleBroken


def _membership(access: StudyAccess, membership_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user"),
        pk=membership_id,
        study=access.study,
        left_on__isnull=True,
    )


def _invitation(access: StudyAccess, invitation_id: int) -> Invitation:
    return get_object_or_404(Invitation, pk=invitation_id, study=access.study)


@study_view(Action.VIEW_MEMBERS)
def member_list(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    can_manage = access.may(Action.MANAGE_MEMBERS)
    return render(
        request,
        "engagement/member_list.html",
        {
            "study": access.study,
            "access": access,
            "members": study_members(access.study),
            "past_members": study_past_members(access.study),
            "invitations": study_pending_invitations(access.study) if can_manage else [],
            "can_manage": can_manage,
            "failures": list(failed_for_study(access.study.pk)[:20]) if can_manage else [],
        },
    )


@study_view(Action.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def member_invite(request: AuthenticatedHttpRequest, access: StudyAccess) -> HttpResponse:
    form = InvitationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_create(
                study=access.study, invited_by=request.user, **form.cleaned_data
            )
        except RuleBroken as refusal:
            form.add_error("email", str(refusal))
        else:
            until = timezone.localtime(invitation.expires_at)
            messages.success(
                request,
                _("Invitation sent to %(email)s. The link works until %(until)s.")
                % {"email": invitation.email, "until": date_format(until, "j F Y")},
            )
            return redirect("member_list", study_id=access.study.pk)
    return render(request, "engagement/member_invite.html", {"study": access.study, "form": form})


@study_view(Action.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def membership_role(request: HttpRequest, access: StudyAccess, membership_id: int) -> HttpResponse:
    membership = _membership(access, membership_id)
    form = MembershipRoleForm(
        request.POST if request.method == "POST" else None, initial={"role": membership.role}
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership_change_role(membership=membership, role=form.cleaned_data["role"])
        except RuleBroken as refusal:
            form.add_error("role", str(refusal))
        else:
            messages.success(request, _("Role changed for %(name)s.") % {"name": membership.user})
            if membership.user_id == request.user.pk:
                # Your own new role may no longer open the members page.
                return redirect("study_detail", study_id=access.study.pk)
            return redirect("member_list", study_id=access.study.pk)
    return render(
        request,
        "engagement/membership_role.html",
        {"study": access.study, "membership": membership, "form": form},
    )


@study_view(Action.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def membership_end_view(
    request: HttpRequest, access: StudyAccess, membership_id: int
) -> HttpResponse:
    membership = _membership(access, membership_id)
    if request.method == "POST":
        try:
            membership_end(membership=membership)
        except RuleBroken as refusal:
            messages.error(request, str(refusal))
        else:
            if membership.user_id == request.user.pk:
                messages.success(
                    request,
                    _("You have left “%(study)s”. Your involvement stays on record.")
                    % {"study": access.study.title},
                )
                return redirect("dashboard")
            messages.success(
                request,
                _("%(name)s has left the study. Their involvement stays on record.")
                % {"name": membership.user},
            )
        return redirect("member_list", study_id=access.study.pk)
    return render(
        request,
        "engagement/membership_end.html",
        {"study": access.study, "membership": membership},
    )


def _members_page(
    request: HttpRequest, access: StudyAccess, kept: KeptForm | None, invitation_id: int
) -> str:
    """The members page, which holds the invitation's buttons."""
    _invitation(access, invitation_id)
    not_done(request, kept)
    return reverse("member_list", args=[access.study.pk])


@study_view(Action.MANAGE_MEMBERS)
@post_only(_members_page)
def invitation_resend_view(
    request: HttpRequest, access: StudyAccess, invitation_id: int
) -> HttpResponse:
    invitation = _invitation(access, invitation_id)
    try:
        invitation_resend(invitation=invitation)
    except RuleBroken as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("A new invitation is on its way to %(email)s. The old link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("member_list", study_id=access.study.pk)


@study_view(Action.MANAGE_MEMBERS)
@post_only(_members_page)
def invitation_revoke_view(
    request: HttpRequest, access: StudyAccess, invitation_id: int
) -> HttpResponse:
    invitation = _invitation(access, invitation_id)
    try:
        invitation_revoke(invitation=invitation)
    except RuleBroken as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email}
        )
    return redirect("member_list", study_id=access.study.pk)


@study_view(Action.VIEW_PARTNER_PROFILE)
@require_safe
def partner_profile(
    request: AuthenticatedHttpRequest, access: StudyAccess, user_id: int
) -> HttpResponse:
    """What a partner told the team about working with them; each visit is recorded."""
    partner = partner_in(access, user_id)
    profile = Profile.objects.filter(user=partner).first()
    profile_viewed(by=request.user, partner=partner, study_id=access.study.pk)
    return render(
        request,
        "engagement/partner_profile.html",
        {"study": access.study, "partner": partner, "profile": profile},
    )
