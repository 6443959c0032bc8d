from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from engagement.access import StudyAccess, study_view
from engagement.forms import StudyForm
from engagement.selectors import can_create_studies, study_stages
from engagement.services import study_create, study_update
from portal.http import AuthenticatedHttpRequest
from portal.permissions import Action


@login_required
@require_http_methods(["GET", "POST"])
def study_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not can_create_studies(request.user):
        raise PermissionDenied(_("Only PPIE leads can start a study."))
    form = StudyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        study = study_create(created_by=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("Study created with the research-cycle stages. You are its coordinator."),
        )
        return redirect("study_detail", study_id=study.pk)
    return render(request, "engagement/study_form.html", {"form": form, "study": None})


@study_view(Action.VIEW_STUDY)
def study_detail(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    return render(
        request,
        "engagement/study_detail.html",
        {
            "access": access,
            "study": access.study,
            "stages": study_stages(access.study),
            "can_manage": access.may(Action.MANAGE_STUDY),
            "can_view_members": access.may(Action.VIEW_MEMBERS),
            "can_write_report": access.may(Action.WRITE_REPORT),
            "can_view_access_record": access.may(Action.VIEW_ACCESS_RECORD),
        },
    )


@study_view(Action.MANAGE_STUDY)
@require_http_methods(["GET", "POST"])
def study_edit(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    form = StudyForm(request.POST if request.method == "POST" else None, instance=access.study)
    if request.method == "POST" and form.is_valid():
        study_update(study=access.study, **form.cleaned_data)
        messages.success(request, _("Study details saved."))
        return redirect("study_detail", study_id=access.study.pk)
    return render(request, "engagement/study_form.html", {"form": form, "study": access.study})
