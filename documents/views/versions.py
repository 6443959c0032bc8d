from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from documents import fragments, wording
from documents.access import document_in, version_for_page, version_in, version_light
from documents.blocks import Block
from documents.forms import CommentForm, VersionForm
from documents.highlights import Passage, document_page
from documents.models import CommentDraft, Outcome, ThreadState, Version, VersionStatus
from documents.rendition import preview
from documents.selectors import (
    ThreadPlace,
    ThreadView,
    block_texts,
    drafts_for,
    page_part,
    previous_ready_version,
    review_standing,
    rounds_of,
    section_of,
    version_changes_since,
    version_stamp,
    version_thread_places,
    version_threads,
)
from documents.services.comments import NEW_COMMENT_KEY, reply_key
from documents.services.rounds import round_is_open
from documents.services.versions import upload_check, version_add
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


# Threads listed on one page of a version, from every part of it; the document beside them is
# shown whole (or, when long, a part at a time) with its visible comments counted and marked.
THREADS_PER_PAGE = 20
# Blocks listed on one page of "What changed", so that a long document's stays light.
CHANGES_PER_PAGE = 400


class VersionURLKwargs(TypedDict):
    study_id: int
    document_id: int
    number: int


def version_url_kwargs(version: Version, study_id: int) -> VersionURLKwargs:
    return {"study_id": study_id, "document_id": version.document_id, "number": version.number}


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


@dataclass
class ShownThread:
    """A thread as the page lists it: its HTML, and whether it is one that could not be
    placed in this version (they are listed last, under their own heading)."""

    unplaced: bool
    html: str


def _page_threads(
    request: AuthenticatedHttpRequest,
    access: StudyAccess,
    version: Version,
    page_places: list[ThreadPlace],
    *,
    stamp: str,
    only_own: bool,
    drafts: dict[str, CommentDraft],
    section: int,
    texts: dict[str, tuple[int, str]],
    marked: set[int],
    addresses: dict[str, str],
    reply_to: int | None,
) -> list[ShownThread]:
    """One page of threads as HTML: those kept are not read or rendered again (see
    ``fragments``); the others are read, rendered and kept for every reader alike, then
    given this reader's own parts. The page's one reply form goes into the thread being
    answered."""
    can_respond = access.may(Action.RESPOND)
    labels = wording.thread_labels()
    # What every thread shows the same on any address of this page; the address itself and
    # the token are put in afterwards, so one rendering serves them all.
    shared = {
        "comments_base": addresses["comments_base"],
        "document_base": addresses["document_base"],
        "labels": wording.labels_digest(translation.get_language()),
    }

    def part_of(place: ThreadPlace) -> int:
        """The part holding the thread's passage, when it is not the part shown."""
        if not (section and place.block_id and place.block_id in texts):
            return 0
        number = section_of(version.sections, texts[place.block_id][0])
        return 0 if number == section else number

    keys = [
        fragments.thread_key(
            version_id=version.pk,
            stamp=stamp,
            audience="team" if access.is_team else "members",
            can_respond=can_respond,
            page=shared,
            thread_id=place.thread_id,
            carried=place.carried,
            marked=place.thread_id in marked and not place.withdrawn,
            section=part_of(place),
        )
        for place in page_places
    ]
    kept = fragments.kept_threads(keys)
    wanted = [
        place
        for place, key in zip(page_places, keys, strict=True)
        if key not in kept or place.thread_id == reply_to
    ]
    views = {
        (view.thread.pk, view.from_earlier): view
        for view in (
            # The page names people as they go by: no profiles.
            version_threads(version, access, only=wanted, only_own=only_own, profiles=False)
            if wanted
            else []
        )
    }
    # Choice labels are lazy translations; resolving each once per page is much cheaper.
    states = {value: str(label) for value, label in ThreadState.choices} if views else {}
    outcomes = {value: str(label) for value, label in Outcome.choices} if views else {}
    withdrawn = str(_("Withdrawn"))
    template = fragments.thread_template()
    new: dict[str, str] = {}
    for place, key in zip(page_places, keys, strict=True):
        view = views.get((place.thread_id, place.carried))
        if view is None:
            continue
        view.section = part_of(place)
        view.reply_draft = drafts.get(reply_key(place.thread_id))
        view.marked = place.thread_id in marked and not place.withdrawn
        # A withdrawn comment is not waiting for anything, whatever its state was.
        view.state_label = withdrawn if view.thread.withdrawn_at else states[view.thread.state]
        if view.response is not None:
            view.outcome_label = outcomes[view.response.outcome]
        if key not in kept:
            new[key] = template.render(
                {
                    "view": view,
                    "reply_here": fragments.REPLY_PLACEHOLDER,
                    "t": labels,
                    "can_respond": can_respond,
                    "csrf_token": fragments.CSRF_PLACEHOLDER,
                    "full_path": fragments.PATH_PLACEHOLDER,
                    "comments_base": addresses["comments_base"],
                    "document_base": addresses["document_base"],
                    "proxy_note": wording.proxy_note,
                    "earlier_replies": wording.earlier_replies,
                    "mine": fragments.mine,
                    "drafted": fragments.drafted,
                    "otherwise": fragments.OTHERWISE,
                    "end_mine": fragments.END_MINE,
                    "end_drafted": fragments.END_DRAFTED,
                }
            )
    fragments.keep_threads(new)

    token = get_token(request)
    path = escape(addresses["full_path"])
    reader = request.user.pk
    drafted = {
        number
        for number in (_number(key.removeprefix("reply-")) for key in drafts)
        if number is not None
    }
    shown = []
    for place, key in zip(page_places, keys, strict=True):
        html = kept.get(key) or new.get(key)
        if html is None:
            continue  # removed since the list was read
        # The token is made for this request and the path escaped; html is our template's.
        html = html.replace(fragments.CSRF_PLACEHOLDER, token)
        html = html.replace(fragments.PATH_PLACEHOLDER, path)
        html = fragments.for_reader(html, reader, drafted)
        view = views.get((place.thread_id, place.carried))
        form = (
            _reply_form(request, view, addresses, version, access.study.pk)
            if place.thread_id == reply_to and view is not None
            else ""
        )
        shown.append(
            ShownThread(
                unplaced=place.unplaced,
                html=mark_safe(html.replace(fragments.REPLY_PLACEHOLDER, form, 1)),  # noqa: S308
            )
        )
    return shown


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _review_context(
    request: AuthenticatedHttpRequest, access: StudyAccess, version: Version
) -> dict[str, object]:
    """The document with its comments marked, one page of threads and the forms."""
    drafts = drafts_for(version, access)
    draft = drafts.get(NEW_COMMENT_KEY)
    chosen_block = request.GET.get("block") or (draft.block_id if draft else "")
    texts = block_texts(version)
    block = (
        Block(id=chosen_block, kind="", text=texts[chosen_block][1], html="")
        if chosen_block in texts
        else None
    )
    standing = review_standing(version, access)
    assignment, only_own = standing.assignment, standing.only_own
    # Only those who run reviews see the version's rounds listed.
    rounds = rounds_of(version) if access.may(Action.MANAGE_ROUNDS) else []
    now = timezone.now()

    stamp = version.document.threads_stamp
    places = version_thread_places(version, access, only_own, stamp=stamp)
    counts = Counter(place.block_id for place in places if place.block_id)
    on = request.GET.get("on", "")
    listed = [place for place in places if place.block_id == on] if on in counts else places
    on = on if on in counts else ""
    ids = [place.thread_id for place in listed]
    reply_to = _number(request.GET.get("reply"))
    if reply_to not in ids and not request.GET.get("page"):
        # The most recent reply left unsent opens again where it was being written.
        kept = sorted(
            (d for d in drafts.values() if d.key != NEW_COMMENT_KEY and d.body.strip()),
            key=lambda d: d.updated_at,
            reverse=True,
        )
        reply_to = next(
            (n for n in (_number(d.key.removeprefix("reply-")) for d in kept) if n in ids), None
        )
    focus = _number(request.GET.get("thread"))
    focus = focus if focus in ids else reply_to if reply_to in ids else None
    paginator = Paginator(ids, THREADS_PER_PAGE)
    page = (
        paginator.page(ids.index(focus) // THREADS_PER_PAGE + 1)
        if focus is not None and focus in ids
        else paginator.get_page(request.GET.get("page"))
    )
    on_page = set(page.object_list)
    focus_block = next((p.block_id for p in places if p.thread_id == focus), "")
    # The part shown: the one asked for, else where the reader was sent (a block to comment
    # on, a count, a conversation), else where their unsent comment is.
    section = _section_shown(
        request,
        version,
        texts,
        request.GET.get("block") or on or focus_block or (draft.block_id if draft else ""),
    )
    in_section = _in_section(version, texts, section)
    marked = {place.thread_id for place in places if place.start is not None}
    addresses = _page_addresses(request, version, access.study.pk)
    threads = _page_threads(
        request,
        access,
        version,
        [place for place in listed if place.thread_id in on_page],
        stamp=stamp,
        only_own=only_own,
        drafts=drafts,
        section=section,
        texts=texts,
        marked=marked,
        addresses=addresses,
        reply_to=reply_to,
    )

    passages = [
        Passage(place.thread_id, place.block_id, place.start, place.end)
        for place in places
        if place.start is not None
        and place.end is not None
        and not place.withdrawn
        and in_section(place.block_id)
    ]
    shown_counts = {block_id: n for block_id, n in counts.items() if in_section(block_id)}
    shown_part = version.sections[section - 1] if section else None
    return {
        **addresses,
        "document_html": mark_safe(  # noqa: S308 - sanitised when converted; marks are ours
            document_page(
                f"{version_stamp(version)}:{section}",
                lambda: page_part(version, shown_part),
                passages,
                shown_counts,
                lambda: {block_id: preview(texts[block_id][1]) for block_id in shown_counts},
            )
        ),
        "section": section,
        "sections": version.sections,
        "threads": threads,
        "thread_total": len(places),
        "listed_total": len(listed),
        "thread_page": page,
        "page_links": _page_links(
            page,
            "?" + (f"on={on}&" if on else "") + (f"section={section}&" if section else ""),
        ),
        "on_block": on,
        "on_block_preview": preview(texts[on][1], 8) if on else "",
        "can_comment_now": access.is_team
        or (assignment is not None and round_is_open(assignment.round, now)),
        "review_closed": assignment is not None and assignment.round.deadline <= now,
        "drafts": drafts,
        "chosen_block": block,
        "comment_form": CommentForm(
            initial={
                "body": draft.body if draft else "",
                "block": block.id if block else "",
                "selectors": (draft.selectors if draft and block else None),
                "visibility": "members",
            }
        ),
        "draft_quote": draft.quote if draft and block else "",
        "assignment": assignment,
        "rounds": rounds,
    }


def _page_links(page: Page[int], query: str) -> str:
    """A link to each page of comments (the page shown marked as current); made here, as
    a loop in the template costs more than the rest of the list."""
    if page.paginator.num_pages < 2:
        return ""
    word = _("Page")
    return format_html_join(
        "\n",
        "{}",
        (
            (
                format_html(
                    '<li class="page-item active"><span class="page-link" '
                    'aria-current="page">{}</span></li>',
                    number,
                )
                if number == page.number
                else format_html(
                    '<li class="page-item"><a class="page-link" href="{}page={}#comments-heading">'
                    '<span class="visually-hidden">{} </span>{}</a></li>',
                    query,
                    number,
                    word,
                    number,
                ),
            )
            for number in page.paginator.page_range
        ),
    )


def _section_shown(
    request: HttpRequest, version: Version, texts: dict[str, tuple[int, str]], block_id: str
) -> int:
    """Which section of a long version to show (0: the version is shown whole): the one asked
    for, else the one holding the block the reader is commenting on or was sent to."""
    if not version.sections:
        return 0
    asked = _number(request.GET.get("section"))
    if asked is not None and 1 <= asked <= len(version.sections):
        return asked
    if block_id in texts:
        return section_of(version.sections, texts[block_id][0]) or 1
    return 1


def _in_section(
    version: Version, texts: dict[str, tuple[int, str]], section: int
) -> Callable[[str], bool]:
    if not section:
        return lambda block_id: True
    shown = version.sections[section - 1]
    first, last = shown["first"], shown["last"]
    return lambda block_id: block_id in texts and first <= texts[block_id][0] <= last


def _reply_form(
    request: AuthenticatedHttpRequest,
    view: ThreadView,
    addresses: dict[str, str],
    version: Version,
    study_id: int,
) -> str:
    """The page's one reply form, for the thread being answered."""
    base = reverse("version_detail", kwargs=dict(version_url_kwargs(version, study_id)))
    return render_to_string(
        "documents/includes/reply_form.html",
        {
            "view": view,
            "thread": view.thread,
            "draft": view.reply_draft,
            "user": request.user,
            "back": f"{base}?thread={view.thread.pk}",
            **addresses,
        },
        request=request,
    )


@study_view(Action.VIEW_DOCUMENTS)
@require_safe
def version_detail(
    request: AuthenticatedHttpRequest, access: StudyAccess, document_id: int, number: int
) -> HttpResponse:
    version = version_for_page(access, document_id, number)
    versions = list(
        Version.objects.filter(document_id=document_id)
        .order_by("number")
        .values("number", "status")
    )
    context: dict[str, object] = {
        "study": access.study,
        "access": access,
        "document": version.document,
        "version": version,
        "versions": versions,
        "can_manage": access.may(Action.MANAGE_DOCUMENTS),
        "can_respond": access.may(Action.RESPOND),
        "can_manage_rounds": access.may(Action.MANAGE_ROUNDS),
    }
    if version.status == VersionStatus.READY:
        context.update(_review_context(request, access, version))
        # The latest prepared version before this one, for "What changed since version N".
        context["previous"] = next(
            (
                v["number"]
                for v in reversed(versions)
                if v["number"] < version.number and v["status"] == VersionStatus.READY
            ),
            None,
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
    version = version_light(access, document_id, number)
    previous = previous_ready_version(version)
    changes: list[tuple[str, str]] = []
    if version.status == VersionStatus.READY and previous is not None:
        changes = version_changes_since(previous, version)
    only_changes = request.GET.get("only") == "changes"
    shown = [c for c in changes if c[0] != "unchanged"] if only_changes else changes
    page = Paginator(shown, CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    summary = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
    for kind, _html in changes:
        summary[kind] += 1
    return render(
        request,
        "documents/version_changes.html",
        {
            "study": access.study,
            "document": version.document,
            "version": version,
            "previous": previous,
            "changes": [
                {"kind": kind, "html": mark_safe(html)}  # noqa: S308 - escaped by diffing
                for kind, html in page.object_list
            ],
            "page_obj": page,
            "only_changes": only_changes,
            "summary": summary if changes else None,
        },
    )
