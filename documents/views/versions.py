from __future__ import annotations

from typing import TypedDict
from urllib.parse import quote

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from documents import fragments
from documents.access import document_in, version_in
from documents.diffing import diff_summary, diff_versions
from documents.forms import CommentForm, VersionForm
from documents.models import Outcome, ThreadState, Version, VersionStatus
from documents.selectors import (
    ThreadView,
    assignment_of,
    drafts_for,
    previous_ready_version,
    rounds_of,
    version_threads,
)
from documents.services.comments import NEW_COMMENT_KEY, reply_key
from documents.services.rounds import round_is_open
from documents.services.versions import upload_check, version_add, version_blocks
from engagement.access import StudyAccess, study_view
from portal.http import AuthenticatedHttpRequest
from portal.permissions import Action
from portal.rules import RuleBroken

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "pdf": "application/pdf",
    "markdown": "text/markdown; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}


class VersionURLKwargs(TypedDict):
    study_id: int
    document_id: int
    number: int


def version_url_kwargs(version: Version, study_id: int) -> VersionURLKwargs:
    return {"study_id": study_id, "document_id": version.document_id, "number": version.number}


def _thread_labels() -> dict[str, str]:
    """The fixed wording of a thread, translated once per page rather than once per thread."""
    return {
        "team_only": _("Team only"),
        "from_version": _("From version"),
        "approximately": _("Placed approximately"),
        "on_passage": _("On the passage:"),
        "on_paragraph": _("On a paragraph"),
        "was_about": _("It was about:"),
        "on_document": _("On the whole document"),
        "withdrawn": _("This comment was withdrawn by its author."),
        "reply_withdrawn": _("This reply was withdrawn by its author."),
        "edited": _("Edited"),
        "you_said": _("You said, we did"),
        "team_draft": _("Team draft: partners cannot see this yet"),
        "in_version": _("in version"),
        "why": _("Why:"),
        "edit": _("Edit"),
        "withdraw": _("Withdraw"),
        "your_reply": _("your reply"),
        "your_comment": _("your comment"),
        "happy": _("I am happy with the answer"),
        "reopen": _("Reopen with a note"),
        "answer": _("Answer"),
        "change_answer": _("Change the answer"),
        "comment_by": _("the comment by"),
        "resolve": _("Mark resolved"),
        "reply": _("Reply"),
        "to": _("to"),
        "your_reply_label": _("Your reply"),
        "reply_back": _("Your unsent reply is back in the box."),
        "saved_as_you_go": _("What you type is saved as you go."),
        "send_reply": _("Send reply"),
    }


def _page_addresses(request: HttpRequest, version: Version, study_id: int) -> dict[str, str]:
    full_path = request.get_full_path()
    versions_base = reverse(
        "version_detail",
        kwargs={"study_id": study_id, "document_id": version.document_id, "number": 1},
    ).removesuffix("1/")
    return {
        "comments_base": reverse(
            "comment_edit", kwargs={"study_id": study_id, "comment_id": 1}
        ).removesuffix("1/edit/"),
        "document_base": versions_base,
        "draft_url": reverse("comment_draft", kwargs=dict(version_url_kwargs(version, study_id))),
        "full_path": full_path,
        "login_next_url": f"{reverse('account_login')}?next={quote(full_path)}",
    }


def _render_threads(
    request: AuthenticatedHttpRequest,
    threads: list[ThreadView],
    access: StudyAccess,
    addresses: dict[str, str],
    labels: dict[str, str],
) -> None:
    """Give each thread its HTML, from the fragment store when nothing it shows has changed."""
    can_respond = access.may(Action.RESPOND)
    token = get_token(request)
    for view in threads:
        key = fragments.signature(
            view, user_id=request.user.pk, can_respond=can_respond, page=addresses
        )

        def render(view: ThreadView = view) -> str:
            return render_to_string(
                "documents/includes/thread.html",
                {
                    "view": view,
                    "t": labels,
                    "user": request.user,
                    "can_respond": can_respond,
                    "csrf_token": fragments.CSRF_PLACEHOLDER,
                    **addresses,
                },
            )

        html = fragments.rendered(key, render)
        # The token is made for this request; html came from our own template.
        view.html = mark_safe(html.replace(fragments.CSRF_PLACEHOLDER, token))  # noqa: S308


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def version_detail(
    request: AuthenticatedHttpRequest, access: StudyAccess, document_id: int, number: int
) -> HttpResponse:
    version = version_in(access, document_id, number)
    context: dict[str, object] = {
        "study": access.study,
        "access": access,
        "document": version.document,
        "version": version,
        "versions": list(
            Version.objects.filter(document_id=document_id).values("number", "status")
        ),
        "can_manage": access.may(Action.MANAGE_DOCUMENTS),
        "can_respond": access.may(Action.RESPOND),
        "can_manage_rounds": access.may(Action.MANAGE_ROUNDS),
    }
    if version.status == VersionStatus.READY:
        drafts = drafts_for(version, access)
        draft = drafts.get(NEW_COMMENT_KEY)
        chosen_block = request.GET.get("block") or (draft.block_id if draft else "")
        block = next((b for b in version_blocks(version) if b.id == chosen_block), None)
        assignment = assignment_of(version, access)
        rounds = rounds_of(version)
        threads = version_threads(version, access)
        states = {value: str(label) for value, label in ThreadState.choices}
        withdrawn = str(_("Withdrawn"))
        outcomes = {value: str(label) for value, label in Outcome.choices}
        for view in threads:
            view.reply_draft = drafts.get(reply_key(view.thread.pk))
            # Choice labels are lazy translations; resolving each once per page is much cheaper.
            # A withdrawn comment is not waiting for anything, whatever its state was.
            view.state_label = withdrawn if view.thread.withdrawn_at else states[view.thread.state]
            if view.response is not None:
                view.outcome_label = outcomes[view.response.outcome]
        now = timezone.now()
        addresses = _page_addresses(request, version, access.study.pk)
        context.update(addresses)
        labels = _thread_labels()
        _render_threads(request, threads, access, addresses, labels)
        context.update(
            t=labels,
            document_html=mark_safe(version.html),  # noqa: S308 - sanitised when converted
            threads=threads,
            can_comment_now=access.is_team
            or (assignment is not None and round_is_open(assignment.round, now)),
            review_closed=assignment is not None and assignment.round.deadline <= now,
            drafts=drafts,
            chosen_block=block,
            comment_form=CommentForm(
                initial={
                    "body": draft.body if draft else "",
                    "block": block.id if block else "",
                    "selectors": (draft.selectors if draft and block else None),
                    "visibility": "members",
                }
            ),
            draft_quote=draft.quote if draft and block else "",
            assignment=assignment,
            rounds=rounds,
            open_round=next((r for r in rounds if round_is_open(r)), None),
            previous=previous_ready_version(version),
        )
    return render(request, "documents/version_detail.html", context)


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def version_status(
    request: HttpRequest, access: StudyAccess, document_id: int, number: int
) -> HttpResponse:
    """Polled while a version is prepared; tells the page to reload once it is done."""
    version = version_in(access, document_id, number)
    response = render(request, "documents/includes/version_status.html", {"version": version})
    if version.status != VersionStatus.PREPARING:
        response["HX-Refresh"] = "true"
    return response


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def version_original(
    request: HttpRequest, access: StudyAccess, document_id: int, number: int
) -> FileResponse:
    version = version_in(access, document_id, number)
    if not version.original:
        raise Http404("No original file.")
    return FileResponse(
        version.original.open("rb"),
        as_attachment=True,
        filename=version.original_name,
        content_type=CONTENT_TYPES.get(version.file_kind, "application/octet-stream"),
    )


@study_view(Action.MANAGE_DOCUMENTS)
@require_http_methods(["GET", "POST"])
def version_new(
    request: AuthenticatedHttpRequest, access: StudyAccess, document_id: int
) -> HttpResponse:
    document = document_in(access, document_id)
    form = VersionForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            version = version_add(
                document=document,
                data=upload_check(upload),
                filename=upload.name,
                change_summary=form.cleaned_data["change_summary"],
                uploaded_by=request.user,
            )
        except RuleBroken as refusal:
            form.add_error("file", str(refusal))
        else:
            messages.success(
                request,
                _(
                    "Version %(n)s uploaded. Open comments from earlier versions will be placed "
                    "into it once it is prepared."
                )
                % {"n": version.number},
            )
            return redirect("version_detail", **version_url_kwargs(version, access.study.pk))
    return render(
        request,
        "documents/version_form.html",
        {"study": access.study, "document": document, "form": form},
    )


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def version_changes(
    request: HttpRequest, access: StudyAccess, document_id: int, number: int
) -> HttpResponse:
    version = version_in(access, document_id, number)
    previous = previous_ready_version(version)
    changes = []
    if version.status == VersionStatus.READY and previous is not None:
        changes = diff_versions(version_blocks(previous), version_blocks(version))
    return render(
        request,
        "documents/version_changes.html",
        {
            "study": access.study,
            "document": version.document,
            "version": version,
            "previous": previous,
            "changes": [
                {"kind": c.kind, "html": mark_safe(c.html)}  # noqa: S308 - escaped by diffing
                for c in changes
            ],
            "summary": diff_summary(changes) if changes else None,
        },
    )
