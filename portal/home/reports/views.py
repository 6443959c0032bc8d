"""A study's involvement report (GRIPP2-SF): the page to write and read it, its PDF, its history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from engagement.access import StudyAccess, study_view
from portal.home.printing import PdfUnavailable, pdf_render
from portal.home.reports.content import (
    SECTIONS,
    Period,
    report_content,
    report_for,
    report_history,
)
from portal.home.reports.forms import NarrativeForm, PeriodForm
from portal.home.reports.services import latest_version, report_save
from portal.http import AuthenticatedHttpRequest
from portal.permissions import Action
from portal.ratelimits import EXPORTS, limit_reached
from portal.rules import RuleBroken


def _period_query(form: PeriodForm) -> str:
    """The valid period as a query string, for the PDF link and after saving."""
    return form.period_query()


@study_view(Action.WRITE_REPORT)
@require_http_methods(["GET", "POST"])
def study_report(request: AuthenticatedHttpRequest, access: StudyAccess) -> HttpResponse:
    study = access.study
    report = report_for(study)
    period_form = PeriodForm(request.GET or None)
    query = _period_query(period_form)
    here = reverse("study_report", args=[study.pk]) + (f"?{query}" if query else "")
    if request.method == "POST":
        form = NarrativeForm(request.POST, instance=report)
        if form.is_valid():
            try:
                report_save(
                    report, form.cleaned_data, request.user, based_on=form.cleaned_data["based_on"]
                )
            except RuleBroken as refusal:
                # The writer's text stays; saving again keeps it over the newer version.
                data = request.POST.copy()
                data["based_on"] = str(latest_version(report_for(study)))
                form = NarrativeForm(data, instance=report)
                form.is_valid()
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _("Saved"))
                return redirect(here)
        # What the page shows below the form is what was saved, not what was just typed.
        report = report_for(study)
    else:
        form = NarrativeForm(instance=report, initial={"based_on": latest_version(report)})
    content = report_content(study, period_form.period(), report)
    return render(
        request,
        "home/reports/study_report.html",
        {
            "study": study,
            "access": access,
            "form": form,
            "period_form": period_form,
            "content": content,
            "report": report,
            "query": query,
        },
    )


def _filename(title: str, period: Period) -> str:
    """The study and the period in the name, so reports of different periods do not mix."""
    covers = "-".join(
        part
        for part in (
            period.start.isoformat() if period.start else "",
            period.end.isoformat() if period.end else "",
        )
        if part
    )
    dated = covers or f"printed-{timezone.localdate().isoformat()}"
    return f"involvement-report-{slugify(title) or 'study'}-{dated}.pdf"


@study_view(Action.WRITE_REPORT)
@require_safe
def study_report_pdf(request: AuthenticatedHttpRequest, access: StudyAccess) -> HttpResponse:
    study = access.study
    period_form = PeriodForm(request.GET or None)
    if request.GET and not period_form.is_valid():
        # The page shows what is wrong with the dates.
        return redirect(reverse("study_report", args=[study.pk]) + "?" + request.GET.urlencode())
    refused = limit_reached(request, EXPORTS)
    if refused is not None:
        return refused
    period = period_form.period()
    content = report_content(study, period)
    context: dict[str, Any] = {
        "content": content,
        "study": study,
        "author": request.user.display_name,
        "site_name": settings.SITE_NAME,
        "language": "en-GB",
        "printed_on": timezone.localdate(),
    }
    try:
        pdf = pdf_render("pdf/study_report.html", context)
    except PdfUnavailable as problem:
        return render(
            request,
            "home/reports/pdf_unavailable.html",
            {"study": study, "problem": str(problem), "query": _period_query(period_form)},
            status=503,
        )
    response = HttpResponse(pdf.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(study.title, period)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@study_view(Action.WRITE_REPORT)
@require_safe
def study_report_history(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    report = report_for(access.study)
    return render(
        request,
        "home/reports/study_report_history.html",
        {
            "study": access.study,
            "access": access,
            "versions": report_history(report),
            "sections": SECTIONS,
        },
    )
