"""Involvement history for the research team: per study, and per partner across studies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import tablib
from django import forms
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from engagement.access import StudyAccess, study_view
from engagement.charts import involvement_by_stage_chart
from engagement.involvement import (
    EXPORT_HEADERS,
    HISTORY_STATES,
    HistoryFilters,
    export_rows,
    hours_text,
    is_study_partner,
    monthly_by_stage,
    partner_contributions,
    partner_totals,
    stage_partner_table,
    study_contributions,
    team_study_ids,
)
from engagement.models import ActivityType, ContributionState, Stage, Study
from portal.accounts.models import User
from portal.permissions import Action
from portal.spreadsheets import safe_cell

PER_PAGE = 50
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A spreadsheet treats a cell starting with one of these as a formula.


class HistoryFilterForm(forms.Form):
    date_from = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    stage = forms.TypedChoiceField(
        label=gettext_lazy("Stage"), required=False, coerce=int, empty_value=None
    )
    study = forms.TypedChoiceField(
        label=gettext_lazy("Study"), required=False, coerce=int, empty_value=None
    )
    activity_type = forms.ChoiceField(
        label=gettext_lazy("Activity"),
        required=False,
        choices=[("", gettext_lazy("All activities")), *ActivityType.choices],
    )
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[
            ("", gettext_lazy("All but drafts")),
            *[(value, ContributionState(value).label) for value in HISTORY_STATES],
        ],
    )

    def __init__(
        self,
        data: Any,
        *,
        stages: Iterable[Stage] | None = None,
        studies: Iterable[tuple[int, str]] | None = None,
    ) -> None:
        super().__init__(data)
        if stages is None:
            del self.fields["stage"]
        else:
            self.fields["stage"].choices = [
                ("", _("All stages")),
                *[(stage.pk, stage.name) for stage in stages],
            ]
        if studies is None:
            del self.fields["study"]
        else:
            self.fields["study"].choices = [("", _("All studies")), *studies]
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs["class"] = css

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return cleaned

    def filters(self) -> HistoryFilters:
        """The filters that are valid; a field with an error is left out."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        errors = set(self.errors)
        for name in errors & set(self.fields):
            # Screen readers announce the field as wrong and read its message with it.
            attrs = self.fields[name].widget.attrs
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"{self[name].id_for_label}-error"
        value = {name: (None if name in errors else data.get(name)) for name in self.fields}
        if "date_to" in errors:
            value["date_from"] = None
        return HistoryFilters(
            date_from=value.get("date_from"),
            date_to=value.get("date_to"),
            stage_id=value.get("stage"),
            study_id=value.get("study"),
            activity_type=value.get("activity_type") or "",
            state=value.get("state") or "",
        )


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


def _paginate(request: HttpRequest, queryset: Any) -> Page:
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for contribution in page.object_list:
        contribution.hours_label = hours_text(contribution.minutes)
    return page


def _export(rows: Iterable[tuple[object, ...]], kind: str, name: str) -> HttpResponse:
    dataset = tablib.Dataset(headers=[str(header) for header in EXPORT_HEADERS])
    for row in rows:
        dataset.append([safe_cell(value) for value in row])
    body = dataset.export(kind)
    if isinstance(body, str):
        body = body.encode("utf-8-sig")
    response = HttpResponse(body, content_type=EXPORT_TYPES[kind])
    filename = f"{name}-{timezone.localdate().isoformat()}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export_kind(request: HttpRequest) -> str | None:
    kind = request.GET.get("export", "")
    return kind if kind in EXPORT_TYPES else None


@study_view(Action.VIEW_STUDY_INVOLVEMENT)
@require_GET
def study_involvement(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    study = access.study
    stages = list(Stage.objects.filter(study=study).order_by("position", "id"))
    form = HistoryFilterForm(request.GET or None, stages=stages)
    filters = form.filters()
    contributions = study_contributions(study=study, filters=filters)
    kind = _export_kind(request)
    if kind:
        return _export(export_rows(contributions), kind, f"involvement-{slugify(study.title)}")
    table = stage_partner_table(study=study, filters=filters)
    chart_data = monthly_by_stage(study=study, filters=filters, stages=stages)
    chart = involvement_by_stage_chart(
        chart_data,
        title=_("Involvement by stage over time"),
        description=_(
            "Hours of involvement each month, one strip of bars per stage, all on the same "
            "scale. The table below the chart gives the same figures."
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
        },
    )


def _partner_url_prefix(study: Study) -> str:
    """The partner page's address without the person's id: reversed once, not once a row."""
    return reverse("partner_involvement", args=[study.pk, 0]).removesuffix("0/")


def _partner_in_study(study: Study, user_id: int) -> User:
    if not is_study_partner(study=study, user_id=user_id):
        raise Http404("No such partner in this study.")
    partner = User.objects.filter(pk=user_id).first()
    if partner is None:
        raise Http404("No such partner in this study.")
    return partner


@study_view(Action.VIEW_STUDY_INVOLVEMENT)
@require_GET
def partner_involvement(request: HttpRequest, access: StudyAccess, user_id: int) -> HttpResponse:
    partner = _partner_in_study(access.study, user_id)
    study_ids = team_study_ids(request.user)
    # The partner's studies among the viewer's, for the filter; titles in one query.
    studies = list(
        Study.objects.filter(pk__in=study_ids, contributions__partner_id=partner.pk)
        .distinct()
        .order_by("title", "pk")
        .values_list("pk", "title")
    )
    form = HistoryFilterForm(request.GET or None, studies=studies)
    filters = form.filters()
    contributions = partner_contributions(
        partner_id=partner.pk, study_ids=study_ids, filters=filters
    )
    kind = _export_kind(request)
    if kind:
        name = f"involvement-{slugify(partner.display_name) or partner.pk}"
        return _export(export_rows(contributions), kind, name)
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
