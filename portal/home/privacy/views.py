"""Privacy rights: a person's own data as JSON and PDF, erasure, and the access record."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from engagement.access import StudyAccess, study_view
from portal.home.printing import PdfUnavailable, pdf_render
from portal.home.privacy.access import erasure_access
from portal.home.privacy.content import for_print, personal_data
from portal.home.privacy.forms import ErasureForm
from portal.home.privacy.selectors import study_access_record
from portal.home.privacy.services import erasure_plan, person_erase
from portal.http import AuthenticatedHttpRequest
from portal.permissions import Action
from portal.ratelimits import EXPORTS, limit_reached
from portal.rules import RuleBroken

ACCESS_PER_PAGE = 50


def _attachment(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def personal_data_json(request: AuthenticatedHttpRequest) -> HttpResponse:
    refused = limit_reached(request, EXPORTS)
    if refused is not None:
        return refused
    data = personal_data(request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    return _attachment(response, f"ppie-portal-your-data-{timezone.localdate()}.json")


@login_required
@require_safe
def personal_data_pdf(request: AuthenticatedHttpRequest) -> HttpResponse:
    refused = limit_reached(request, EXPORTS)
    if refused is not None:
        return refused
    try:
        pdf = pdf_render(
            "pdf/personal_data.html",
            {
                "data": for_print(personal_data(request.user)),
                "made_on": timezone.localdate(),
                "site_name": settings.SITE_NAME,
            },
        )
    except PdfUnavailable as error:
        messages.error(request, str(error))
        return redirect("profile")
    response = HttpResponse(pdf.content, content_type="application/pdf")
    return _attachment(response, f"ppie-portal-your-data-{timezone.localdate()}.pdf")


@login_required
@require_http_methods(["GET", "POST"])
def person_erase_view(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """Say exactly what erasing would remove and keep; erase once confirmed."""
    access = erasure_access(request.user, user_id)
    person = access.person
    if not access.allowed:
        return render(request, "home/privacy/erase_elsewhere.html", {"person": person}, status=403)
    if person.is_erased:
        return render(request, "home/privacy/erased.html", {"person": person})
    form = ErasureForm(request.POST if request.method == "POST" else None)
    plan = erasure_plan(person)
    if request.method == "POST" and not plan.refusals and form.is_valid():
        try:
            person_erase(person=person, by=request.user)
        except RuleBroken as refusal:
            messages.error(request, str(refusal))
        else:
            person.refresh_from_db()
            messages.success(
                request,
                _("Their personal data is erased. They are shown as “%(name)s” from now on.")
                % {"name": person.name_seen},
            )
            return redirect("person_erase", user_id=person.pk)
        plan = erasure_plan(person)
    return render(
        request,
        "home/privacy/erase_confirm.html",
        {"person": person, "plan": plan, "form": form},
        status=409 if request.method == "POST" and plan.refusals else 200,
    )


@study_view(Action.VIEW_ACCESS_RECORD)
@require_safe
def access_record(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    page = Paginator(study_access_record(access.study), ACCESS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "home/privacy/access_record.html", {"study": access.study, "page": page})
