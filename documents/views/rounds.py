from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from documents.access import round_in, version_in
from documents.forms import ExtendForm, FinishForm, RoundForm
from documents.services.rounds import assignment_finish, assignment_for, round_extend, round_open
from documents.views.versions import version_url_kwargs
from engagement.access import StudyAccess, study_view
from portal.accounts.models import User
from portal.http import AuthenticatedHttpRequest
from portal.permissions import Action, Role
from portal.rules import RuleBroken


@study_view(Action.MANAGE_ROUNDS)
@require_http_methods(["GET", "POST"])
def round_new(
    request: AuthenticatedHttpRequest, access: StudyAccess, document_id: int, number: int
) -> HttpResponse:
    version = version_in(access, document_id, number)
    partners = User.objects.filter(
        memberships__study=access.study,
        memberships__role=Role.PARTNER,
        memberships__left_on__isnull=True,
    ).order_by("display_name")
    form = RoundForm(request.POST if request.method == "POST" else None, partners=partners)
    if request.method == "POST" and form.is_valid():
        try:
            round_open(
                version=version,
                partners=form.cleaned_data["partners"],
                opens_at=form.cleaned_data["opens_at"],
                deadline=form.cleaned_data["deadline"],
                instructions=form.cleaned_data["instructions"],
                independent=form.cleaned_data["independent"],
                created_by=request.user,
            )
        except RuleBroken as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("The review round is set up."))
            return redirect("version_detail", **version_url_kwargs(version, access.study.pk))
    return render(
        request,
        "documents/round_form.html",
        {"study": access.study, "version": version, "document": version.document, "form": form},
    )


@study_view(Action.MANAGE_ROUNDS)
@require_http_methods(["GET", "POST"])
def round_extend_view(request: HttpRequest, access: StudyAccess, round_id: int) -> HttpResponse:
    review_round = round_in(access, round_id)
    form = ExtendForm(
        request.POST if request.method == "POST" else None,
        initial={"deadline": review_round.deadline},
    )
    if request.method == "POST" and form.is_valid():
        try:
            round_extend(review_round=review_round, deadline=form.cleaned_data["deadline"])
        except RuleBroken as refusal:
            form.add_error("deadline", str(refusal))
        else:
            messages.success(request, _("The deadline has been extended."))
            return redirect(
                "version_detail", **version_url_kwargs(review_round.version, access.study.pk)
            )
    return render(
        request,
        "documents/round_extend.html",
        {"study": access.study, "round": review_round, "form": form},
    )


@study_view(Action.COMMENT)
@require_http_methods(["GET", "POST"])
def round_finish(
    request: AuthenticatedHttpRequest, access: StudyAccess, round_id: int
) -> HttpResponse:
    review_round = round_in(access, round_id)
    assignment = assignment_for(review_round, request.user)
    if assignment is None:
        raise PermissionDenied(_("You were not asked to review in this round."))
    form = FinishForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            assignment_finish(
                assignment=assignment, minutes_spent=form.cleaned_data["minutes_spent"]
            )
        except RuleBroken as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Thank you. Your review is marked as finished."))
            return redirect(
                "version_detail", **version_url_kwargs(review_round.version, access.study.pk)
            )
    return render(
        request,
        "documents/round_finish.html",
        {"study": access.study, "round": review_round, "assignment": assignment, "form": form},
    )
