from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from documents.access import round_in, version_in
from documents.calendar import round_calendar
from documents.forms import ExtendForm, FinishForm, RoundForm
from documents.models import AssignmentState
from documents.reminders import deadline_text, failed_for_round, round_progress, round_remind
from documents.services.rounds import (
    assignment_finish,
    assignment_for,
    round_extend,
    round_is_open,
    round_open,
)
from documents.views.versions import version_url_kwargs
from engagement.access import StudyAccess, keeps, kept_initial, not_done, post_only, study_view
from portal.accounts.models import User
from portal.http import AuthenticatedHttpRequest, KeptForm
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
                reminder_days=form.cleaned_data["reminder_days"],
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
@keeps("hours", "minutes")
@require_http_methods(["GET", "POST"])
def round_finish(
    request: AuthenticatedHttpRequest, access: StudyAccess, round_id: int
) -> HttpResponse:
    review_round = round_in(access, round_id)
    assignment = assignment_for(review_round, request.user)
    if assignment is None:
        raise PermissionDenied(_("You were not asked to review in this round."))
    form = FinishForm(
        request.POST if request.method == "POST" else None, initial=kept_initial(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            assignment = assignment_finish(
                assignment=assignment, minutes_spent=form.cleaned_data["minutes_spent"]
            )
        except RuleBroken as refusal:
            form.add_error(None, str(refusal))
        else:
            if assignment.contribution_id is not None:
                # The time is recorded once the partner sends it: take them straight to it.
                messages.success(
                    request,
                    _(
                        "Thank you. Your review is marked as finished. Here is the time you "
                        "gave, ready to send to the study team: check it, change the details "
                        "if you need to, then press “Submit for approval”."
                    ),
                )
                return redirect(
                    "contribution_detail",
                    study_id=access.study.pk,
                    contribution_id=assignment.contribution_id,
                )
            messages.success(
                request,
                _(
                    "Thank you. Your review is marked as finished. Record the time you gave "
                    "from Your involvement."
                ),
            )
            return redirect(
                "version_detail", **version_url_kwargs(review_round.version, access.study.pk)
            )
    return render(
        request,
        "documents/round_finish.html",
        {"study": access.study, "round": review_round, "assignment": assignment, "form": form},
    )


@study_view(Action.MANAGE_ROUNDS)
@require_safe
def round_detail(request: HttpRequest, access: StudyAccess, round_id: int) -> HttpResponse:
    """Who has finished, who is in progress, who has not started, and when each was reminded."""
    review_round = round_in(access, round_id)
    now = timezone.now()
    progress = round_progress(review_round)
    return render(
        request,
        "documents/round_detail.html",
        {
            "study": access.study,
            "round": review_round,
            "document": review_round.version.document,
            "progress": progress,
            "is_open": round_is_open(review_round, now),
            "not_finished": sum(1 for a in progress if a.state != AssignmentState.FINISHED),
            "failures": failed_for_round(review_round),
        },
    )


def _round_page(
    request: HttpRequest, access: StudyAccess, kept: KeptForm | None, round_id: int
) -> str:
    review_round = round_in(access, round_id)
    not_done(request, kept)
    return reverse("round_detail", args=[access.study.pk, review_round.pk])


@study_view(Action.MANAGE_ROUNDS)
@post_only(_round_page)
def round_remind_view(request: HttpRequest, access: StudyAccess, round_id: int) -> HttpResponse:
    review_round = round_in(access, round_id)
    try:
        sent, next_allowed = round_remind(review_round=review_round)
    except RuleBroken as refusal:
        messages.error(request, str(refusal))
        return redirect("round_detail", study_id=access.study.pk, round_id=review_round.pk)
    if sent:
        messages.success(
            request,
            ngettext(
                "A reminder is on its way to %(n)s partner.",
                "A reminder is on its way to %(n)s partners.",
                sent,
            )
            % {"n": sent},
        )
    if next_allowed is not None:
        messages.info(
            request,
            _(
                "Partners reminded in the last 24 hours were not reminded again. The next "
                "reminder to them can be sent from %(when)s."
            )
            % {"when": deadline_text(next_allowed)},
        )
    if not sent and next_allowed is None:
        messages.info(request, _("Everyone has finished: there is nobody to remind."))
    return redirect("round_detail", study_id=access.study.pk, round_id=review_round.pk)


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def round_calendar_view(request: HttpRequest, access: StudyAccess, round_id: int) -> HttpResponse:
    """The deadline as a calendar entry (.ics), the same one the reminders carry."""
    review_round = round_in(access, round_id)
    response = HttpResponse(
        round_calendar(review_round), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="review-deadline-{review_round.pk}.ics"'
    )
    return response
