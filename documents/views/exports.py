"""What became of every comment ("you said, we did"), and comments as Web Annotations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from documents import webannotation, word
from documents.access import document_in, proxy_partner_in, version_in
from documents.forms import WordCommentsForm
from documents.models import (
    Outcome,
    ThreadState,
    Version,
    VersionStatus,
    WordImport,
    WordImportState,
)
from documents.selectors import (
    ThreadView,
    document_threads,
    version_threads,
    word_import_first_thread,
)
from documents.services.versions import version_blocks
from documents.services.word_imports import (
    Choice,
    word_import_cancel,
    word_import_confirm,
    word_import_start,
)
from engagement.access import StudyAccess, study_view
from engagement.involvement.selectors import current_partners
from portal.http import AuthenticatedHttpRequest
from portal.permissions import Action
from portal.ratelimits import EXPORTS, UPLOADS, limit_reached
from portal.rules import RuleBroken
from portal.spreadsheets import Column, Kind, SheetFormat, spreadsheet_response


def _author_name(view: ThreadView) -> str:
    return webannotation.person_name(view.thread.author)


def _entered_by(view: ThreadView) -> str:
    """ "Entered by … on behalf of …" for a comment entered by proxy; empty for any other."""
    return webannotation.proxy_note(view.thread) or ""


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
    if request.GET.get("format") in {SheetFormat.CSV, SheetFormat.XLSX}:
        return limit_reached(request, EXPORTS) or _download(
            document.title, views, request.GET["format"]
        )
    for view in views:
        view.state_label = state_of(view)
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
    Column("Version", Kind.WHOLE),
    Column("Passage", Kind.TEXT),
    Column("Comment", Kind.TEXT),
    Column("By", Kind.TEXT),
    Column("Entered by proxy", Kind.TEXT),
    Column("Date", Kind.DATE),
    Column("State", Kind.TEXT),
    Column("Outcome", Kind.TEXT),
    Column("What we did", Kind.TEXT),
    Column("Why not", Kind.TEXT),
    Column("Changed in version", Kind.WHOLE),
    Column("Answer", Kind.TEXT),
]


def passage_of(view: ThreadView) -> str:
    """What a comment is about, in words: its quote, the paragraph's first words, or none."""
    if view.quote:
        return view.quote
    if view.block_id and view.block_preview:
        return str(_("Paragraph: %(words)s") % {"words": view.block_preview})
    return str(_("The whole document"))


def state_of(view: ThreadView) -> str:
    # A withdrawn comment is not waiting for anything, whatever its state was.
    return str(_("Withdrawn")) if view.thread.withdrawn_at else view.thread.get_state_display()


def _download(title: str, views: list[ThreadView], file_format: str) -> HttpResponse:
    rows = []
    for view in views:
        answer = view.response
        rows.append(
            [
                view.thread.version.number,
                passage_of(view),
                "(withdrawn)" if view.thread.withdrawn_at else view.thread.body,
                _author_name(view),
                _entered_by(view),
                timezone.localtime(view.thread.created_at).date(),
                state_of(view),
                answer.get_outcome_display() if answer else "",
                answer.body if answer else "",
                answer.reason if answer else "",
                answer.changed_in.number if answer and answer.changed_in else None,
                ""
                if answer is None
                else "published"
                if answer.published_at
                else "draft, not published",
            ]
        )
    return spreadsheet_response(
        headers=YOU_SAID_HEADERS,
        rows=rows,
        file_format=file_format,
        filename=f"you-said-we-did-{timezone.localdate().isoformat()}",
        title=_("You said, we did"),
    )


def _annotation_items(access: StudyAccess, version: Version) -> list[dict[str, Any]]:
    views = version_threads(version, access)
    # A comment no longer found in this version points at the version it was made on.
    earlier_ids = {view.thread.version_id for view in views if view.unplaced}
    earlier = {
        v.pk: webannotation.VersionPage.of(v, access.study.pk)
        for v in Version.objects.filter(pk__in=earlier_ids).only(
            "pk", "document_id", "number", "html", "sections"
        )
    }
    return webannotation.AnnotationSet(
        study_id=access.study.pk,
        version=version,
        page=webannotation.VersionPage.of(version, access.study.pk),
        earlier=earlier,
    ).items(views)


def _json_ld(data: dict[str, Any]) -> HttpResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Type"] = webannotation.MEDIA_TYPE
    return response


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def version_annotations(
    request: HttpRequest, access: StudyAccess, document_id: int, number: int
) -> HttpResponse:
    """The version's comments as a W3C Web Annotation collection (JSON-LD)."""
    version = version_in(access, document_id, number)
    items = _annotation_items(access, version)
    return _json_ld(
        webannotation.collection(study_id=access.study.pk, version=version, items=items)
    )


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def version_annotation_page(
    request: HttpRequest, access: StudyAccess, document_id: int, number: int, page: int
) -> HttpResponse:
    """One page of that collection; a collection with no comments has no pages."""
    version = version_in(access, document_id, number)
    items = _annotation_items(access, version)
    if not 1 <= page <= webannotation.page_count(len(items)):
        raise Http404("No such page of annotations.")
    return _json_ld(
        webannotation.annotation_page(
            study_id=access.study.pk, version=version, items=items, number=page
        )
    )


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def version_word(
    request: HttpRequest, access: StudyAccess, document_id: int, number: int
) -> HttpResponse:
    """The version as a Word file with the comments this person may see, as Word comments."""
    version = version_in(access, document_id, number)
    if version.status != VersionStatus.READY:
        raise Http404("This version is not ready yet.")
    refused = limit_reached(request, EXPORTS)
    if refused is not None:
        return refused
    body = word.version_docx(version, version_blocks(version), version_threads(version, access))
    response = HttpResponse(body, content_type=word.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{word.filename(version)}"'
    return response


@study_view(Action.COMMENT)
@require_http_methods(["GET", "POST"])
def version_word_comments(
    request: AuthenticatedHttpRequest, access: StudyAccess, document_id: int, number: int
) -> HttpResponse:
    """Bring in comments made in Word: send the file, check what was found, add it.

    A coordinator may bring in a partner's file for them: the comments are the partner's,
    entered by the coordinator ("by proxy").
    """
    version = version_in(access, document_id, number)
    may_proxy = access.may(Action.COMMENT_FOR_PARTNER)
    partners = current_partners(access.study) if may_proxy else None
    waiting = (
        WordImport.objects.filter(
            version=version, person=request.user, state=WordImportState.WAITING
        )
        .select_related("on_behalf_of")
        .first()
    )
    form = WordCommentsForm(partners=partners)
    action = request.POST.get("action", "")
    status = 200
    if request.method == "POST" and action == "upload":
        if request.POST.get("partner") and not may_proxy:
            # Someone else's comments, from a person who may not enter them: refused whole.
            proxy_partner_in(access, request.POST["partner"])
        refused = limit_reached(request, UPLOADS)
        if refused is not None:
            return refused
        form = WordCommentsForm(request.POST, request.FILES, partners=partners)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                started = word_import_start(
                    version=version,
                    person=request.user,
                    filename=upload.name,
                    data=upload.read(),
                    on_behalf_of=form.cleaned_data.get("partner"),
                )
            except RuleBroken as refusal:
                form.add_error("file", str(refusal))
            else:
                if not any(not row.get("already") for row in started.proposals):
                    # Nothing to check or add: say so rather than offer an empty list.
                    word_import_cancel(word_import=started)
                    messages.info(
                        request,
                        _(
                            "Everything in “%(name)s” is already in the portal, so there is "
                            "nothing new to add."
                        )
                        % {"name": upload.name},
                    )
                return redirect(request.path)
        elif "partner" in form.errors:
            status = 400  # an id that is not one of this study's partners
    elif request.method == "POST" and waiting is not None and action == "cancel":
        word_import_cancel(word_import=waiting)
        messages.info(request, _("Nothing was added from the Word file."))
        return redirect(request.path)
    elif request.method == "POST" and waiting is not None and action == "confirm":
        partner = waiting.on_behalf_of
        if partner is not None and proxy_partner_in(access, partner.pk) is None:
            messages.error(
                request,
                _("%(name)s is no longer a partner in this study, so nothing was added for them.")
                % {"name": partner.name_seen},
            )
            return redirect(request.path)
        choices = {
            row["key"]: Choice(
                include=request.POST.get(f"include-{row['key']}") == "yes",
                text=request.POST.get(f"text-{row['key']}", "")[:10_000],
            )
            for row in waiting.proposals
        }
        try:
            added = word_import_confirm(
                word_import=waiting, choices=choices, is_team=access.is_team
            )
        except RuleBroken as refusal:
            messages.error(request, str(refusal))
            return redirect(request.path)
        if partner is not None:
            message = ngettext(
                "%(n)s comment from %(name)s's Word file was added, as theirs, entered by you.",
                "%(n)s comments from %(name)s's Word file were added, as theirs, entered by you.",
                added,
            ) % {"n": added, "name": partner.name_seen}
        else:
            message = ngettext(
                "%(n)s comment from your Word file was added.",
                "%(n)s comments from your Word file were added.",
                added,
            ) % {"n": added}
        messages.success(request, message)
        # To the page of comments holding the first one added, so they are found at once.
        page = reverse("version_detail", args=[access.study.pk, document_id, number])
        thread_id = word_import_first_thread(waiting)
        if thread_id is None:
            return redirect(page)
        return redirect(f"{page}?thread={thread_id}#thread-{thread_id}")
    elif request.method == "POST":
        return redirect(request.path)
    return render(
        request,
        "documents/word_comments.html",
        {
            "study": access.study,
            "document": version.document,
            "version": version,
            "form": form,
            "waiting": None if form.is_bound else waiting,
        },
        status=status,
    )
