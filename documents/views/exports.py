"""What became of every comment ("you said, we did"), and comments as Web Annotations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from documents.access import document_in, version_in
from documents.models import Outcome, ThreadState
from documents.selectors import ThreadView, document_threads, version_threads
from engagement.access import StudyAccess, study_view
from portal.accounts.models import Acknowledgement, User
from portal.permissions import Action
from portal.spreadsheets import SheetFormat, spreadsheet_response


def _author_name(view: ThreadView) -> str:
    return _person_name(view.thread.author)


def _person_name(author: User) -> str:
    """As the person asked to be acknowledged: by name, or as a public partner."""
    profile = getattr(author, "profile", None)
    if profile is not None and profile.acknowledgement == Acknowledgement.ANONYMOUS:
        return "A public partner"
    return author.display_name


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def you_said_we_did(request: HttpRequest, access: StudyAccess, document_id: int) -> HttpResponse:
    document = document_in(access, document_id)
    views = document_threads(document, access)
    outcome = request.GET.get("outcome", "")
    state = request.GET.get("state", "")
    if outcome == "none":
        views = [v for v in views if v.response is None]
    elif outcome in Outcome.values:
        views = [v for v in views if v.response and v.response.outcome == outcome]
    if state in ThreadState.values:
        views = [v for v in views if v.thread.state == state]
    if request.GET.get("format") == "csv":
        return _csv(document.title, views)
    return render(
        request,
        "documents/you_said_we_did.html",
        {
            "study": access.study,
            "document": document,
            "views": views,
            "outcomes": Outcome.choices,
            "states": ThreadState.choices,
            "chosen_outcome": outcome,
            "chosen_state": state,
        },
    )


YOU_SAID_HEADERS = [
    "Version",
    "Passage",
    "Comment",
    "By",
    "Date",
    "State",
    "Outcome",
    "What we did",
    "Why not",
    "Changed in version",
]


def _csv(title: str, views: list[ThreadView]) -> HttpResponse:
    rows = []
    for view in views:
        answer = view.response
        rows.append(
            [
                view.thread.version.number,
                view.thread.quote,
                "(withdrawn)" if view.thread.withdrawn_at else view.thread.body,
                _author_name(view),
                timezone.localtime(view.thread.created_at).date(),
                view.thread.get_state_display(),
                answer.get_outcome_display() if answer else "",
                answer.body if answer else "",
                answer.reason if answer else "",
                answer.changed_in.number if answer and answer.changed_in else "",
            ]
        )
    return spreadsheet_response(
        headers=YOU_SAID_HEADERS,
        rows=rows,
        file_format=SheetFormat.CSV,
        filename=f"you-said-we-did-{timezone.localdate().isoformat()}",
    )


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def version_annotations(
    request: HttpRequest, access: StudyAccess, document_id: int, number: int
) -> HttpResponse:
    """The version's comments as a W3C Web Annotation collection (JSON-LD)."""
    version = version_in(access, document_id, number)
    page_url = request.build_absolute_uri(
        reverse(
            "version_detail",
            kwargs={"study_id": access.study.pk, "document_id": document_id, "number": number},
        )
    )
    items: list[dict[str, Any]] = []
    for view in version_threads(version, access):
        if view.thread.withdrawn_at:
            continue
        thread_id = f"{page_url}#thread-{view.thread.pk}"
        items.append(_annotation(view, thread_id, page_url))
        for reply in view.replies:
            if reply.withdrawn_at:
                continue
            items.append(
                {
                    "id": f"{page_url}#comment-{reply.pk}",
                    "type": "Annotation",
                    "motivation": "replying",
                    "created": reply.created_at.isoformat(),
                    "creator": {"type": "Person", "name": _person_name(reply.author)},
                    "body": {"type": "TextualBody", "value": reply.body, "format": "text/plain"},
                    "target": thread_id,
                }
            )
        answer = view.response
        if answer is not None and answer.published_at is not None:
            text = f"{answer.get_outcome_display()}. {answer.body}"
            if answer.reason:
                text += f" Why: {answer.reason}"
            items.append(
                {
                    "id": f"{page_url}#answer-{view.thread.pk}",
                    "type": "Annotation",
                    "motivation": "replying",
                    "created": answer.published_at.isoformat(),
                    "creator": {"type": "Organization", "name": "Study team"},
                    "body": {"type": "TextualBody", "value": text, "format": "text/plain"},
                    "target": thread_id,
                }
            )
    collection = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": request.build_absolute_uri(),
        "type": "AnnotationCollection",
        "label": f"Comments on {version.document.title}, version {version.number}",
        "total": len(items),
        "first": {"type": "AnnotationPage", "startIndex": 0, "items": items},
    }
    response = JsonResponse(collection, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Type"] = (
        'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"; charset=utf-8'
    )
    return response


def _annotation(view: ThreadView, thread_id: str, page_url: str) -> dict[str, Any]:
    target: dict[str, Any] | str = page_url
    if view.block_id:
        selector: dict[str, Any] = {"type": "FragmentSelector", "value": view.block_id}
        quote = [s for s in view.thread.selectors if not view.from_earlier] or []
        if view.quote:
            selector["refinedBy"] = quote or [{"type": "TextQuoteSelector", "exact": view.quote}]
        target = {"source": page_url, "selector": selector}
    return {
        "id": thread_id,
        "type": "Annotation",
        "motivation": "commenting",
        "created": view.thread.created_at.isoformat(),
        "creator": {"type": "Person", "name": _author_name(view)},
        "body": {"type": "TextualBody", "value": view.thread.body, "format": "text/plain"},
        "target": target,
    }
