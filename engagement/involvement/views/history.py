"""Involvement history for the research team: per study, and per partner across studies."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from engagement.access import StudyAccess, partner_in, study_view
from engagement.involvement.charts import involvement_by_stage_chart
from engagement.involvement.exports import history_export
from engagement.involvement.forms import HistoryFilterForm
from engagement.involvement.selectors import (
    monthly_by_stage,
    partner_contributions,
    partner_study_choices,
    partner_totals,
    stage_partner_table,
    study_contributions,
    team_study_ids,
)
from engagement.models import Contribution, Study
from engagement.selectors import study_stages
from portal.http import AuthenticatedHttpRequest
from portal.permissions import Action
from portal.ratelimits import EXPORTS, limit_reached
from portal.spreadsheets import SheetFormat

PER_PAGE = 50


def _query_without(request: HttpRequest, *names: str) -> str:
    """The request's filters as a query string, leaving out the page and export."""
    pairs = [
        (key, value)
        for key, values in request.GET.lists()
        if key not in {"page", "export", *names}
        for value in values
        if value
    ]
    return urlencode(pairs)


def _paginate(request: HttpRequest, queryset: QuerySet[Contribution]) -> Page[Contribution]:
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return page


def _export(
    contributions: QuerySet[Contribution], kind: str, name: str, *, title: str
) -> HttpResponse:
    return history_export(contributions, title=title).download(
        file_format=kind, filename=f"{name}-{timezone.localdate().isoformat()}"
    )


def _export_kind(request: HttpRequest) -> str | None:
    kind = request.GET.get("export", "")
    return kind if kind in SheetFormat.__members__.values() else None


@study_view(Action.VIEW_STUDY_INVOLVEMENT)
@require_GET
def study_involvement(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    study = access.study
    stages = list(study_stages(study))
    form = HistoryFilterForm(request.GET or None, stages=stages)
    filters = form.filters()
    contributions = study_contributions(study=study, filters=filters)
    kind = _export_kind(request)
    if kind:
        name = f"involvement-{slugify(study.title)}"
        return limit_reached(request, EXPORTS) or _export(
            contributions, kind, name, title=_("Involvement in the study")
        )
    table = stage_partner_table(study=study, filters=filters)
    chart_data = monthly_by_stage(study=study, filters=filters, stages=stages)
    chart = involvement_by_stage_chart(
        chart_data,
        title=_("Involvement by stage over time"),
        description=_(
            "Time given each month, one strip of bars per stage, all on the same scale. The "
            "table below the chart gives the same figures."
        ),
    )
    query = _query_without(request)
    return render(
        request,
        "engagement/history/study_involvement.html",
        {
            "study": study,
            "access": access,
            "form": form,
            "filters": filters,
            "table": table,
            "chart": chart,
            "chart_data": chart_data,
            "partner_url": _partner_url_prefix(study),
            "page_obj": _paginate(request, contributions),
            "query": query,
            "export_query": query,
            "can_write_report": access.may(Action.WRITE_REPORT),
        },
    )


def _partner_url_prefix(study: Study) -> str:
    """The partner page's address without the person's id: reversed once, not once a row."""
    return reverse("partner_involvement", args=[study.pk, 0]).removesuffix("0/")


@study_view(Action.VIEW_STUDY_INVOLVEMENT)
@require_GET
def partner_involvement(
    request: AuthenticatedHttpRequest, access: StudyAccess, user_id: int
) -> HttpResponse:
    partner = partner_in(access, user_id)
    study_ids = team_study_ids(request.user)
    # The partner's studies among the viewer's, for the filter; titles in one query.
    studies = partner_study_choices(partner_id=partner.pk, study_ids=study_ids)
    form = HistoryFilterForm(request.GET or None, studies=studies)
    filters = form.filters()
    contributions = partner_contributions(
        partner_id=partner.pk, study_ids=study_ids, filters=filters
    )
    kind = _export_kind(request)
    if kind:
        name = f"involvement-{slugify(partner.display_name) or partner.pk}"
        return limit_reached(request, EXPORTS) or _export(
            contributions, kind, name, title=_("Involvement across studies")
        )
    totals, grand = partner_totals(partner_id=partner.pk, study_ids=study_ids, filters=filters)
    query = _query_without(request)
    return render(
        request,
        "engagement/history/partner_involvement.html",
        {
            "study": access.study,
            "access": access,
            "partner": partner,
            "form": form,
            "filters": filters,
            "totals": totals,
            "grand": grand,
            "page_obj": _paginate(request, contributions),
            "query": query,
            "export_query": query,
        },
    )
