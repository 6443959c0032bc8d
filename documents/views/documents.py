from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from documents.access import document_in
from documents.forms import DocumentForm
from documents.selectors import latest_version, study_documents
from documents.services.versions import document_create, upload_check
from engagement.access import StudyAccess, study_view
from portal.http import AuthenticatedHttpRequest
from portal.permissions import Action
from portal.ratelimits import UPLOADS, counts_towards
from portal.rules import RuleBroken


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def document_list(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    return render(
        request,
        "documents/document_list.html",
        {
            "study": access.study,
            "documents": study_documents(access.study),
            "can_manage": access.may(Action.MANAGE_DOCUMENTS),
        },
    )


@study_view(Action.MANAGE_DOCUMENTS)
@counts_towards(UPLOADS)
@require_http_methods(["GET", "POST"])
def document_new(request: AuthenticatedHttpRequest, access: StudyAccess) -> HttpResponse:
    form = DocumentForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        study=access.study,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = upload_check(upload)
            version = document_create(
                study=access.study,
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"],
                stage=form.cleaned_data["stage"],
                data=data,
                filename=upload.name,
                change_summary=form.cleaned_data["change_summary"],
                created_by=request.user,
            )
        except RuleBroken as refusal:
            form.add_error("file", str(refusal))
        else:
            messages.success(
                request, _("Uploaded. The document is being prepared for reading and comments.")
            )
            return redirect(
                "version_detail",
                study_id=access.study.pk,
                document_id=version.document_id,
                number=version.number,
            )
    return render(request, "documents/document_form.html", {"study": access.study, "form": form})


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def document_detail(request: HttpRequest, access: StudyAccess, document_id: int) -> HttpResponse:
    document = document_in(access, document_id)
    version = latest_version(document)
    if version is None:
        messages.info(request, _("This document has no versions yet."))
        return redirect("document_list", study_id=access.study.pk)
    return redirect(
        "version_detail", study_id=access.study.pk, document_id=document.pk, number=version.number
    )
