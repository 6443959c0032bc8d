from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from engagement.access import StudyAccess, not_done, post_only, study_view
from engagement.forms import StageForm
from engagement.models import Stage
from engagement.selectors import study_stages
from engagement.services import Direction, stage_add, stage_delete, stage_move, stage_update
from portal.http import KeptForm
from portal.permissions import Action
from portal.rules import RuleBroken


def _stage(access: StudyAccess, stage_id: int) -> Stage:
    return get_object_or_404(Stage, pk=stage_id, study=access.study)


@study_view(Action.MANAGE_STAGES)
@require_http_methods(["GET", "POST"])
def stage_list(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    form = StageForm(request.POST if request.method == "POST" else None, study=access.study)
    if request.method == "POST" and form.is_valid():
        try:
            stage = stage_add(study=access.study, **form.cleaned_data)
        except RuleBroken as refusal:
            form.add_error("name", str(refusal))
        else:
            messages.success(
                request, _("Stage “%(name)s” added at the end.") % {"name": stage.name}
            )
            return redirect("stage_list", study_id=access.study.pk)
    stages = list(study_stages(access.study))
    return render(
        request,
        "engagement/stage_list.html",
        {"study": access.study, "access": access, "stages": stages, "form": form},
    )


@study_view(Action.MANAGE_STAGES)
@require_http_methods(["GET", "POST"])
def stage_edit(request: HttpRequest, access: StudyAccess, stage_id: int) -> HttpResponse:
    stage = _stage(access, stage_id)
    form = StageForm(
        request.POST if request.method == "POST" else None, instance=stage, study=access.study
    )
    if request.method == "POST" and form.is_valid():
        try:
            stage_update(stage=stage, **form.cleaned_data)
        except RuleBroken as refusal:
            form.add_error("name", str(refusal))
        else:
            messages.success(request, _("Stage saved."))
            return redirect("stage_list", study_id=access.study.pk)
    return render(
        request,
        "engagement/stage_form.html",
        {"study": access.study, "stage": stage, "form": form},
    )


def _stages_page(
    request: HttpRequest, access: StudyAccess, kept: KeptForm | None, stage_id: int
) -> str:
    _stage(access, stage_id)
    not_done(request, kept)
    return reverse("stage_list", args=[access.study.pk])


@study_view(Action.MANAGE_STAGES)
@post_only(_stages_page)
def stage_move_view(request: HttpRequest, access: StudyAccess, stage_id: int) -> HttpResponse:
    stage = _stage(access, stage_id)
    try:
        direction = Direction(request.POST.get("direction", ""))
    except ValueError:
        messages.error(request, _("Choose whether to move the stage up or down."))
        return redirect("stage_list", study_id=access.study.pk)
    if stage_move(stage=stage, direction=direction):
        messages.success(
            request,
            _("“%(name)s” moved %(direction)s.")
            % {
                "name": stage.name,
                "direction": _("up") if direction is Direction.UP else _("down"),
            },
        )
    else:
        messages.info(request, _("“%(name)s” is already at that end.") % {"name": stage.name})
    return redirect("stage_list", study_id=access.study.pk)


@study_view(Action.MANAGE_STAGES)
@require_http_methods(["GET", "POST"])
def stage_delete_view(request: HttpRequest, access: StudyAccess, stage_id: int) -> HttpResponse:
    stage = _stage(access, stage_id)
    if request.method == "POST":
        try:
            stage_delete(stage=stage)
        except RuleBroken as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Stage “%(name)s” removed.") % {"name": stage.name})
        return redirect("stage_list", study_id=access.study.pk)
    return render(
        request, "engagement/stage_confirm_delete.html", {"study": access.study, "stage": stage}
    )
