from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from documents.access import comment_in, own_comment, version_in
from documents.forms import EditForm, ReopenForm, ReplyForm, ResponseForm
from documents.links import thread_address
from documents.models import Comment, Version, VersionStatus
from documents.services import comments as comment_services
from documents.services.responses import response_save
from engagement.access import StudyAccess, keeps, kept_initial, not_done, post_only, study_view
from portal.http import LOGGED_OUT, AuthenticatedHttpRequest, KeptForm
from portal.permissions import Action
from portal.rules import RuleBroken


def _version_page(version: Version, study_id: int, anchor: str = "") -> str:
    url = reverse(
        "version_detail",
        kwargs={"study_id": study_id, "document_id": version.document_id, "number": version.number},
    )
    return f"{url}#{anchor}" if anchor else url


def _back(request: HttpRequest, comment: Comment, study_id: int) -> HttpResponse:
    """Return to the page the action came from (a later version may show the thread)."""
    return redirect(_thread_page(request, comment, study_id, request.POST.get("next", "")))


def _thread_page(request: HttpRequest, comment: Comment, study_id: int, target: str) -> str:
    thread = comment.parent or comment
    page = _safe_next(request, target) or _version_page(comment.version, study_id)
    return thread_address(page, thread.pk)


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target.split("#")[0]
    return ""


def _page_version(access: StudyAccess, page: str, fallback: Version) -> Version:
    """The version whose page the form was on (a later version may show an older thread)."""
    try:
        match = resolve(page.split("?")[0])
    except Resolver404:
        return fallback
    if match.url_name != "version_detail" or match.kwargs.get("study_id") != access.study.pk:
        return fallback
    try:
        return version_in(access, match.kwargs["document_id"], match.kwargs["number"])
    except Http404:
        return fallback


def _words_back(request: HttpRequest, kept: KeptForm, what: str, button: str) -> None:
    if kept.why == LOGGED_OUT:
        text = _(
            "You were logged out before your %(what)s was sent. Nothing is lost: your words "
            "are back in the box. Press “%(button)s” again."
        )
    else:
        text = _(
            "This page had been open for a long time, so your %(what)s could not be sent. "
            "Nothing is lost: your words are back in the box. Press “%(button)s” again."
        )
    messages.info(request, text % {"what": what, "button": button})


# Real selectors are a few hundred characters; anything far larger is not from our page.
_MAX_SELECTORS_CHARS = 25_000


def _selectors(raw: str) -> object:
    if not raw:
        return []
    if len(raw) > _MAX_SELECTORS_CHARS:
        return raw  # refused by the anchor check with a message
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return raw  # refused by the anchor check with a message


_NEW_COMMENT_FIELDS = ("body", "block", "selectors", "quote", "visibility")
_REPLY_FIELDS = ("body", "next")
_BUTTON_FIELDS = ("next",)


def _comment_form_page(
    request: AuthenticatedHttpRequest,
    access: StudyAccess,
    kept: KeptForm | None,
    document_id: int,
    number: int,
) -> str:
    """The version page with the comment box; words kept from a refused send go back in it."""
    version = version_in(access, document_id, number)
    if kept is None or not kept.get("body").strip() or version.status != VersionStatus.READY:
        return _version_page(version, access.study.pk)
    selectors = _selectors(kept.get("selectors"))
    draft = comment_services.draft_save(
        author=request.user,
        version=version,
        key=comment_services.NEW_COMMENT_KEY,
        body=kept.get("body"),
        block_id=kept.get("block")[:20],
        selectors=selectors if isinstance(selectors, list) else [],
        quote=kept.get("quote"),
    )
    _words_back(request, kept, _("comment"), _("Send comment"))
    query = {"block": draft.block_id if draft is not None else ""}
    if kept.get("visibility") == "team":
        # Who may see it is asked again as it was answered: never widened by a login.
        query["visibility"] = "team"
    params = urlencode({name: value for name, value in query.items() if value})
    return (
        _version_page(version, access.study.pk) + (f"?{params}" if params else "") + "#comment-form"
    )


def _version_page_of(
    request: AuthenticatedHttpRequest,
    access: StudyAccess,
    kept: KeptForm | None,
    document_id: int,
    number: int,
) -> str:
    return _version_page(version_in(access, document_id, number), access.study.pk)


def _reply_form_page(
    request: AuthenticatedHttpRequest, access: StudyAccess, kept: KeptForm | None, comment_id: int
) -> str:
    """The conversation on the page it was answered from, with the kept reply in its box."""
    thread = comment_in(access, comment_id)
    target = kept.get("next") if kept is not None else ""
    if kept is not None and kept.get("body").strip() and thread.parent_id is None:
        page = _safe_next(request, target)
        comment_services.draft_save(
            author=request.user,
            version=_page_version(access, page, thread.version),
            key=comment_services.reply_key(thread.pk),
            body=kept.get("body"),
        )
        _words_back(request, kept, _("reply"), _("Send reply"))
    return _thread_page(request, thread, access.study.pk, target)


def _thread_of(
    request: AuthenticatedHttpRequest, access: StudyAccess, kept: KeptForm | None, comment_id: int
) -> str:
    """The conversation a button belongs to; nothing was done, so the person is told."""
    thread = comment_in(access, comment_id)
    not_done(request, kept)
    return _thread_page(request, thread, access.study.pk, kept.get("next") if kept else "")


@study_view(Action.COMMENT)
@post_only(_comment_form_page, keep=_NEW_COMMENT_FIELDS)
def comment_create(
    request: AuthenticatedHttpRequest, access: StudyAccess, document_id: int, number: int
) -> HttpResponse:
    version = version_in(access, document_id, number)
    block_id = request.POST.get("block", "")[:20]
    selectors = _selectors(request.POST.get("selectors", ""))
    body = request.POST.get("body", "")
    try:
        comment = comment_services.comment_create(
            version=version,
            author=request.user,
            body=body,
            block_id=block_id,
            selectors=selectors,
            visibility=request.POST.get("visibility", "members"),
            is_team=access.is_team,
        )
    except RuleBroken as refusal:
        # Whatever went wrong, what the person wrote is kept for them to send again.
        comment_services.draft_save(
            author=request.user,
            version=version,
            key=comment_services.NEW_COMMENT_KEY,
            body=body,
            block_id=block_id,
            selectors=selectors if isinstance(selectors, list) else [],
            quote=request.POST.get("quote", ""),
        )
        messages.error(request, str(refusal))
        params = urlencode(
            {
                name: value
                for name, value in {
                    "block": block_id,
                    "visibility": "team" if request.POST.get("visibility") == "team" else "",
                }.items()
                if value
            }
        )
        return redirect(
            _version_page(version, access.study.pk)
            + (f"?{params}" if params else "")
            + "#comment-form"
        )
    messages.success(request, _("Your comment has been added."))
    return redirect(thread_address(_version_page(version, access.study.pk), comment.pk))


@study_view(Action.COMMENT)
@post_only(_version_page_of, keep=None)
def comment_draft(
    request: AuthenticatedHttpRequest, access: StudyAccess, document_id: int, number: int
) -> HttpResponse:
    """Saves what is being typed, called every few seconds while someone writes."""
    version = version_in(access, document_id, number)
    key = request.POST.get("key", comment_services.NEW_COMMENT_KEY)
    if key != comment_services.NEW_COMMENT_KEY and not key.startswith("reply-"):
        return HttpResponse(status=400)
    selectors = _selectors(request.POST.get("selectors", ""))
    comment_services.draft_save(
        author=request.user,
        version=version,
        key=key,
        body=request.POST.get("body", ""),
        block_id=request.POST.get("block", ""),
        selectors=selectors if isinstance(selectors, list) else [],
        quote=request.POST.get("quote", ""),
    )
    # Someone typing is using the portal: their session starts its time again.
    request.session.modified = True
    return HttpResponse(status=204)


@study_view(Action.COMMENT)
@post_only(_reply_form_page, keep=_REPLY_FIELDS)
def comment_reply(
    request: AuthenticatedHttpRequest, access: StudyAccess, comment_id: int
) -> HttpResponse:
    thread = comment_in(access, comment_id)
    form = ReplyForm(request.POST)
    body = request.POST.get("body", "")
    try:
        if not form.is_valid():
            raise RuleBroken(_("Write your reply before sending it."))
        comment_services.comment_reply(thread=thread, author=request.user, body=body)
    except RuleBroken as refusal:
        comment_services.draft_save(
            author=request.user,
            version=thread.version,
            key=comment_services.reply_key(thread.pk),
            body=body,
        )
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Your reply has been added."))
    return _back(request, thread, access.study.pk)


@study_view(Action.COMMENT)
@require_http_methods(["GET", "POST"])
def comment_edit(
    request: AuthenticatedHttpRequest, access: StudyAccess, comment_id: int
) -> HttpResponse:
    comment = own_comment(access, comment_in(access, comment_id))
    form = EditForm(
        request.POST if request.method == "POST" else None, initial={"body": comment.body}
    )
    if request.method == "POST" and form.is_valid():
        try:
            comment_services.comment_edit(
                comment=comment, author=request.user, body=form.cleaned_data["body"]
            )
        except RuleBroken as refusal:
            form.add_error("body", str(refusal))
        else:
            messages.success(request, _("Your comment has been changed."))
            return _back(request, comment, access.study.pk)
    return render(
        request,
        "documents/comment_edit.html",
        {"study": access.study, "comment": comment, "form": form},
    )


@study_view(Action.COMMENT)
@require_http_methods(["GET", "POST"])
def comment_withdraw(
    request: AuthenticatedHttpRequest, access: StudyAccess, comment_id: int
) -> HttpResponse:
    comment = own_comment(access, comment_in(access, comment_id))
    if request.method == "POST":
        try:
            comment_services.comment_withdraw(comment=comment, author=request.user)
        except RuleBroken as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Your comment has been withdrawn."))
        return _back(request, comment, access.study.pk)
    return render(
        request, "documents/comment_withdraw.html", {"study": access.study, "comment": comment}
    )


@study_view(Action.RESPOND)
@require_http_methods(["GET", "POST"])
def comment_respond(
    request: AuthenticatedHttpRequest, access: StudyAccess, comment_id: int
) -> HttpResponse:
    thread = comment_in(access, comment_id)
    existing = getattr(thread, "response", None)
    versions = Version.objects.filter(
        document_id=thread.version.document_id,
        number__gt=thread.version.number,
        status=VersionStatus.READY,
    ).order_by("number")
    initial = (
        {
            "outcome": existing.outcome,
            "body": existing.body,
            "reason": existing.reason,
            "changed_in": existing.changed_in_id,
        }
        if existing
        else {}
    )
    form = ResponseForm(
        request.POST if request.method == "POST" else None, initial=initial, versions=versions
    )
    if request.method == "POST" and form.is_valid():
        publish = "publish" in request.POST
        try:
            response_save(
                thread=thread,
                author=request.user,
                outcome=form.cleaned_data["outcome"],
                body=form.cleaned_data["body"],
                reason=form.cleaned_data["reason"],
                changed_in=form.cleaned_data["changed_in"],
                publish=publish,
            )
        except RuleBroken as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                _("Answer published. The partner can now see it.")
                if publish
                else _("Answer saved as a team draft. Partners cannot see it yet.")
                if existing is None or existing.published_at is None
                else _("The published answer has been changed."),
            )
            return _back(request, thread, access.study.pk)
    return render(
        request,
        "documents/comment_respond.html",
        {
            "study": access.study,
            "thread": thread,
            "form": form,
            "existing": existing,
            # A follow-up question in the conversation is part of what is being answered.
            "replies": thread.replies.select_related("author").order_by("created_at", "id"),
        },
    )


@study_view(Action.RESPOND)
@post_only(_thread_of, keep=_BUTTON_FIELDS)
def comment_resolve(request: HttpRequest, access: StudyAccess, comment_id: int) -> HttpResponse:
    thread = comment_in(access, comment_id)
    try:
        comment_services.thread_resolve(thread=thread)
    except RuleBroken as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Marked as resolved."))
    return _back(request, thread, access.study.pk)


@study_view(Action.COMMENT)
@post_only(_thread_of, keep=_BUTTON_FIELDS)
def comment_confirm(
    request: AuthenticatedHttpRequest, access: StudyAccess, comment_id: int
) -> HttpResponse:
    thread = own_comment(access, comment_in(access, comment_id))
    try:
        comment_services.thread_confirm(thread=thread, by=request.user)
    except RuleBroken as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Thank you. You have confirmed the team's answer."))
    return _back(request, thread, access.study.pk)


@study_view(Action.COMMENT)
@keeps("note")
@require_http_methods(["GET", "POST"])
def comment_reopen(
    request: AuthenticatedHttpRequest, access: StudyAccess, comment_id: int
) -> HttpResponse:
    thread = own_comment(access, comment_in(access, comment_id))
    form = ReopenForm(
        request.POST if request.method == "POST" else None, initial=kept_initial(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            comment_services.thread_reopen(
                thread=thread, by=request.user, note=form.cleaned_data["note"]
            )
        except RuleBroken as refusal:
            form.add_error("note", str(refusal))
        else:
            messages.success(request, _("Your comment is open again, with your note for the team."))
            return _back(request, thread, access.study.pk)
    return render(
        request,
        "documents/comment_reopen.html",
        {"study": access.study, "thread": thread, "form": form},
    )
