"""Conversations across a study's documents: those still waiting for the team's answer."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from documents.selectors import unanswered_threads
from engagement.access import StudyAccess, study_view
from portal.permissions import Action

PER_PAGE = 50


@study_view(Action.RESPOND)
@require_safe
def comments_unanswered(request: HttpRequest, access: StudyAccess) -> HttpResponse:
    """Every open comment with no answer yet, oldest first: the team's to-do list."""
    threads = unanswered_threads(access.study)
    page = Paginator(threads, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "documents/comments_unanswered.html",
        {"study": access.study, "page_obj": page, "query": ""},
    )
