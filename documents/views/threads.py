"""Conversations across a study's documents: one by its address, those still waiting for the
team's answer."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from documents.access import comment_in
from documents.links import thread_address
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


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def comment_detail(request: HttpRequest, access: StudyAccess, comment_id: int) -> HttpResponse:
    """A comment's own address (its annotation IRI): the conversation on its version's page."""
    comment = comment_in(access, comment_id)
    version = comment.version
    page = reverse("version_detail", args=[access.study.pk, version.document_id, version.number])
    address = thread_address(page, comment.parent_id or comment.pk)
    if comment.parent_id is not None:
        address = f"{address.partition('#')[0]}#comment-{comment.pk}"
    return redirect(address)
