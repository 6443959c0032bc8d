"""Reads for document pages: versions, the threads a person may see, and their answers."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from django.core.cache import cache
from django.db.models import (
    BooleanField,
    CharField,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from documents.blocks import Block, texts_decoded, texts_encoded
from documents.diffing import diff_versions
from documents.models import (
    Assignment,
    AssignmentState,
    Comment,
    CommentDraft,
    CommentPlacement,
    Document,
    Response,
    ReviewRound,
    ThreadState,
    Version,
    VersionStatus,
    Visibility,
    WordImport,
)
from documents.rendition import preview
from engagement.access import StudyAccess
from engagement.models import Study

BLOCK_TEXTS_SECONDS = 7 * 24 * 60 * 60
# Where threads sit, kept under their document's ``threads_stamp``; bump the revision when what
# is kept (``ThreadPlace``) changes shape.
THREADS_CACHE_SECONDS = 24 * 60 * 60
THREADS_REVISION = 2
# Raised when the way changes are worked out or written changes, so kept ones are remade.
CHANGES_REVISION = 1

# A version row carries its whole rendition; lists and joins need only its number and state.
_HEAVY_VERSION_FIELDS = ("html", "blocks", "texts", "readability", "warnings", "change_summary")


def _light(path: str) -> list[str]:
    return [f"{path}__{name}" if path else name for name in _HEAVY_VERSION_FIELDS]


def study_documents(study: Study) -> QuerySet[Document]:
    return (
        Document.objects.filter(study=study)
        .select_related("stage")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=Version.objects.defer(*_light("")).order_by("-number"),
                to_attr="newest",
            )
        )
        .order_by("title", "id")
    )


def latest_version(document: Document) -> Version | None:
    return document.versions.order_by("-number").first()


def previous_ready_version(version: Version) -> Version | None:
    return (
        Version.objects.filter(
            document_id=version.document_id, number__lt=version.number, status=VersionStatus.READY
        )
        .defer(*_HEAVY_VERSION_FIELDS)
        .order_by("-number")
        .first()
    )


def version_stamp(version: Version) -> str:
    """What names a prepared version's content in the cache: its id, and when it was made."""
    made = version.converted_at.isoformat() if version.converted_at else "not-yet"
    return f"{version.pk}:{made}"


def version_changes_since(previous: Version, version: Version) -> list[tuple[str, str]]:
    """Each block's change (kind, safe HTML) from ``previous`` to ``version``, in the new
    version's order. Worked out once for a pair of versions (neither ever changes) and kept
    in the cache, so the changes page of a long document costs its diff only once."""
    key = f"version-changes:{CHANGES_REVISION}:{version_stamp(previous)}:{version_stamp(version)}"
    changes: list[tuple[str, str]] | None = cache.get(key)
    if changes is None:
        blocks = dict(
            Version.objects.filter(pk__in=[previous.pk, version.pk]).values_list("pk", "blocks")
        )
        changes = [
            (change.kind, change.html)
            for change in diff_versions(
                [Block.from_dict(b) for b in blocks[previous.pk]],
                [Block.from_dict(b) for b in blocks[version.pk]],
            )
        ]
        cache.set(key, changes, BLOCK_TEXTS_SECONDS)
    return changes


def page_part(version: Version, section: dict[str, Any] | None) -> str:
    """The page HTML of one section of a version (all of it for ``None``), reading no more
    of the stored page than that."""
    if section is None:
        return str(Version.objects.values_list("html", flat=True).get(pk=version.pk))
    start, end = int(section["start"]), int(section["end"])
    return str(
        Version.objects.annotate(part=Substr("html", start + 1, end - start))
        .values_list("part", flat=True)
        .get(pk=version.pk)
    )


def section_of(sections: list[dict[str, Any]], block_index: int) -> int:
    """The number (from 1) of the section holding the block at ``block_index``; 0 if none."""
    for number, section in enumerate(sections, 1):
        if section["first"] <= block_index <= section["last"]:
            return number
    return 0


def block_texts(version: Version) -> dict[str, tuple[int, str]]:
    """Each block's place in reading order (from 1) and its plain text, by block id.

    A prepared version never changes, so this is kept in the cache: the version page need not
    read and decode every block's text on each view; and on the instance, which a request
    asks several times.
    """
    held: dict[str, tuple[int, str]] | None = version.__dict__.get("_block_texts")
    if held is not None:
        return held
    key = f"version-block-texts:{version_stamp(version)}"
    texts: dict[str, tuple[int, str]] | None = cache.get(key)
    if texts is None:
        deferred = version.get_deferred_fields()
        encoded = (
            version.texts
            if "texts" not in deferred
            else Version.objects.values_list("texts", flat=True).get(pk=version.pk)
        )
        if encoded:
            texts = texts_decoded(encoded)
        else:  # made before versions kept their texts apart
            blocks = (
                version.blocks
                if "blocks" not in deferred
                else Version.objects.values_list("blocks", flat=True).get(pk=version.pk)
            )
            texts = texts_decoded(texts_encoded(blocks))
        if version.status == VersionStatus.READY:
            cache.set(key, texts, BLOCK_TEXTS_SECONDS)
    if version.status == VersionStatus.READY:
        version.__dict__["_block_texts"] = texts
    return texts


@dataclass
class ThreadView:
    """A thread as one person sees it on one version's page."""

    thread: Comment
    block_id: str
    quote: str
    replies: list[Comment]
    response: Response | None
    from_earlier: bool = False
    unplaced: bool = False
    confidence: float = 1.0
    order: tuple[int, int] = field(default=(0, 0))
    block_preview: str = ""
    marked: bool = False
    section: int = 0  # the section holding its passage, when not the one shown
    # The anchor in this version: the comment's own selectors, or where it was placed.
    selectors: list[dict[str, Any]] = field(default_factory=list)
    reply_draft: CommentDraft | None = None
    state_label: str = ""
    outcome_label: str = ""


def hidden_by_independent_review(version: Version, access: StudyAccess) -> bool:
    """A partner in an unfinished independent review sees only their own comments.

    The rule covers the whole document: comments from the round's version are carried
    into later versions, and must not show there either.
    """
    if access.is_team:
        return False
    return (
        Assignment.objects.filter(
            round__version__document_id=version.document_id,
            round__independent=True,
            round__deadline__gt=timezone.now(),
            partner_id=access.membership.user_id,
        )
        .exclude(state=AssignmentState.FINISHED)
        .exists()
    )


def _visible(access: StudyAccess, only_own: bool) -> Q:
    user_id = access.membership.user_id
    if access.is_team:
        return Q()
    if only_own:
        return Q(author_id=user_id)
    return Q(visibility=Visibility.MEMBERS) | Q(author_id=user_id)


class ThreadPlace(NamedTuple):
    """Where a thread sits on a version, read without loading the thread itself.

    ``start``/``end`` count characters of the block's text, for a quoted passage that is
    found there; a comment on a whole block or document has neither. A named tuple: a
    version's hundreds are made, kept and read back on a first view, and tuples are the
    quickest to.
    """

    thread_id: int
    block_id: str
    unplaced: bool
    withdrawn: bool
    order: tuple[int, int]
    start: int | None = None
    end: int | None = None
    carried: bool = False  # from an earlier version, placed into this one


def _reader(access: StudyAccess, only_own: bool) -> str:
    """Who sees the same threads: the team all of them, a partner their own set."""
    if access.is_team:
        return "team"
    return f"{'own' if only_own else 'members'}:{access.membership.user_id}"


def version_thread_places(
    version: Version,
    access: StudyAccess,
    only_own: bool | None = None,
    *,
    stamp: str | None = None,
) -> list[ThreadPlace]:
    """Every thread this person may see on the version, in document order: two light queries.

    Enough to count the comments on each block, mark their passages and page the list,
    without loading bodies, authors, answers or replies. Given the document's
    ``threads_stamp``, they are kept in the cache under it, for as long as it holds.
    """
    if only_own is None:
        only_own = hidden_by_independent_review(version, access)
    if stamp is None:
        return _thread_places(version, access, only_own)
    key = f"thread-places:{THREADS_REVISION}:{version.pk}:{stamp}:{_reader(access, only_own)}"
    places: list[ThreadPlace] | None = cache.get(key)
    if places is None:
        places = _thread_places(version, access, only_own)
        cache.set(key, places, THREADS_CACHE_SECONDS)
    return places


def _thread_places(version: Version, access: StudyAccess, only_own: bool) -> list[ThreadPlace]:
    visible = _visible(access, only_own)
    blocks = block_texts(version)
    # The version's own threads and those placed into it from earlier versions, in one query,
    # their selectors as text, decoded all at once: quicker than hundreds of decodes.
    own = Comment.objects.filter(visible, version=version, parent__isnull=True).values_list(
        "pk",
        "block_id",
        Cast("selectors", output_field=TextField()),
        "withdrawn_at",
        Value("", output_field=CharField()),
        Value(False, output_field=BooleanField()),
    )
    placed = (
        CommentPlacement.objects.filter(version=version)
        .filter(_prefixed(visible, "comment__"))
        .values_list(
            "comment_id",
            "block_id",
            Cast("selectors", output_field=TextField()),
            "comment__withdrawn_at",
            "method",
            Value(True, output_field=BooleanField()),
        )
    )
    rows = list(own.order_by().union(placed.order_by(), all=True))
    selectors_of = json.loads("[" + ",".join(row[2] or "[]" for row in rows) + "]")
    places = []
    for (thread_id, block_id, _text, withdrawn_at, method, carried), selectors in zip(
        rows, selectors_of, strict=True
    ):
        if method == "unplaced":
            places.append(
                ThreadPlace(
                    thread_id=thread_id,
                    block_id="",
                    unplaced=True,
                    withdrawn=withdrawn_at is not None,
                    order=(10**6, thread_id),
                    carried=True,
                )
            )
        else:
            places.append(
                _place(
                    thread_id,
                    block_id,
                    selectors,
                    withdrawn_at is not None,
                    blocks,
                    carried=carried,
                )
            )
    places.sort(key=lambda place: place.order)
    return places


def _place(
    thread_id: int,
    block_id: str,
    selectors: object,
    withdrawn: bool,
    blocks: dict[str, tuple[int, str]],
    *,
    carried: bool = False,
) -> ThreadPlace:
    index, text = blocks.get(block_id, (0, ""))
    start, end = passage_in(text, selectors) if block_id in blocks else (None, None)
    return ThreadPlace(
        thread_id=thread_id,
        block_id=block_id if block_id in blocks else "",
        unplaced=False,
        withdrawn=withdrawn,
        order=(index, thread_id),
        start=start,
        end=end,
        carried=carried,
    )


def passage_in(text: str, selectors: object) -> tuple[int | None, int | None]:
    """Where a stored quote stands in its block: the position if it still holds, else the
    first place the quote is found, else nowhere."""
    if not isinstance(selectors, list):
        return None, None
    exact, start, end = "", None, None
    for selector in selectors:
        if not isinstance(selector, dict):
            continue
        if selector.get("type") == "TextQuoteSelector":
            exact = str(selector.get("exact") or "")
        elif selector.get("type") == "TextPositionSelector":
            start, end = selector.get("start"), selector.get("end")
    if not exact:
        return None, None
    if isinstance(start, int) and isinstance(end, int) and text[start:end] == exact:
        return start, end
    found = text.find(exact)
    return (found, found + len(exact)) if found >= 0 else (None, None)


# What a thread shows, so that its rows carry nothing else (a person's password hash, say).
_COMMENT_FIELDS = [field.name for field in Comment._meta.concrete_fields]
_RESPONSE_FIELDS = [f"response__{field.name}" for field in Response._meta.concrete_fields]
_PLACEMENT_FIELDS = [field.name for field in CommentPlacement._meta.concrete_fields]


def _people(prefix: str, profiles: bool) -> tuple[list[str], list[str]]:
    """The relations and fields that name a comment's writer and whoever entered it for them
    (see ``portal.accounts.naming``): with their profiles for what leaves the team, where a
    partner may have asked not to be named; a page shows the names they go by."""
    related, fields = [], []
    for person in (f"{prefix}author", f"{prefix}entered_by"):
        related.append(person)
        fields += [f"{person}__display_name", f"{person}__former_number"]
        if profiles:
            related.append(f"{person}__profile")
            fields.append(f"{person}__profile__acknowledgement")
    return related, fields


def version_threads(
    version: Version,
    access: StudyAccess,
    only: list[ThreadPlace] | None = None,
    only_own: bool | None = None,
    *,
    profiles: bool = True,
) -> list[ThreadView]:
    """The threads shown on a version, in document order, in a fixed number of queries.

    ``only`` limits them to those places (one page of the list); ``only_own`` is
    ``hidden_by_independent_review``, when the caller has it already. Without ``profiles``
    the writers are named as they go by, which is what a page shows; what leaves the team
    (exports) names them as they asked to be acknowledged.
    """
    if only_own is None:
        only_own = hidden_by_independent_review(version, access)
    return _threads(version, access, only, only_own, profiles=profiles)


def _threads(
    version: Version,
    access: StudyAccess,
    only: list[ThreadPlace] | None,
    only_own: bool,
    *,
    profiles: bool = True,
) -> list[ThreadView]:
    visible = _visible(access, only_own)
    own_threads = Q(visible, version=version, parent__isnull=True)
    placed = CommentPlacement.objects.filter(version=version)
    want_own = want_placed = True
    if only is not None:
        own_ids = [p.thread_id for p in only if not p.carried]
        placed_ids = [p.thread_id for p in only if p.carried]
        own_threads &= Q(pk__in=own_ids)
        placed = placed.filter(comment_id__in=placed_ids)
        # Nothing to ask for: skip the query, whose building alone costs a page view time.
        want_own, want_placed = bool(own_ids), bool(placed_ids)
    placed_people, placed_named = _people("comment__", profiles)
    placements = (
        list(
            placed.filter(_prefixed(visible, "comment__"))
            .select_related(
                *placed_people,
                "comment__response",
                "comment__response__changed_in",
                "comment__version",
            )
            .only(
                *_PLACEMENT_FIELDS,
                *(f"comment__{name}" for name in _COMMENT_FIELDS),
                *placed_named,
                *(f"comment__{name}" for name in _RESPONSE_FIELDS),
                "comment__response__changed_in__number",
                "comment__version__number",
            )
        )
        if want_placed
        else []
    )
    # The version's own threads and the replies of every thread shown, in one query (a
    # reply has no answer: its joined answer is empty).
    wanted = Q()
    if want_own:
        parents = own_ids if only is not None else Comment.objects.filter(own_threads).values("pk")
        wanted |= own_threads | Q(parent_id__in=parents)
    if placements:
        wanted |= Q(parent_id__in=[placement.comment_id for placement in placements])
    people, named = _people("", profiles)
    own: list[Comment] = []
    replies: dict[int, list[Comment]] = {}
    for row in (
        Comment.objects.filter(wanted)
        .select_related(*people, "response", "response__changed_in")
        .only(*_COMMENT_FIELDS, *named, *_RESPONSE_FIELDS, "response__changed_in__number")
        .order_by("created_at", "id")
        if wanted
        else []
    ):
        if row.parent_id is None:
            row.version = version  # already loaded; joining it again would copy it per row
            own.append(row)
        else:
            replies.setdefault(row.parent_id, []).append(row)
    blocks = block_texts(version)
    order = {block_id: index for block_id, (index, _text) in blocks.items()}
    texts = {block_id: text for block_id, (_index, text) in blocks.items()}
    views = [
        ThreadView(
            thread=c,
            block_id=c.block_id,
            quote=c.quote,
            replies=replies.get(c.pk, []),
            response=_shown_response(c, access),
            order=(order.get(c.block_id, 0), c.pk),
            block_preview=preview(texts.get(c.block_id, ""), 8),
            selectors=c.selectors,
        )
        for c in own
    ]
    for placement in placements:
        c = placement.comment
        unplaced = placement.method == "unplaced"
        quote = ""
        for selector in placement.selectors:
            if selector.get("type") == "TextQuoteSelector":
                quote = selector.get("exact", "")
        views.append(
            ThreadView(
                thread=c,
                block_id="" if unplaced else placement.block_id,
                quote=c.quote if unplaced else quote,
                replies=replies.get(c.pk, []),
                response=_shown_response(c, access),
                from_earlier=True,
                unplaced=unplaced,
                confidence=placement.confidence,
                order=(10**6 if unplaced else order.get(placement.block_id, 0), c.pk),
                block_preview="" if unplaced else preview(texts.get(placement.block_id, ""), 8),
                selectors=c.selectors if unplaced else placement.selectors,
            )
        )
    views.sort(key=lambda view: view.order)
    return views


def _prefixed(condition: Q, prefix: str) -> Q:
    """The same condition applied through a relation (a thread's placement, say)."""
    prefixed = Q()
    prefixed.connector, prefixed.negated = condition.connector, condition.negated
    for child in condition.children:
        if isinstance(child, Q):
            prefixed.children.append(_prefixed(child, prefix))
        else:
            key, value = cast("tuple[str, Any]", child)
            prefixed.children.append((prefix + key, value))
    return prefixed


def _shown_response(comment: Comment, access: StudyAccess) -> Response | None:
    # A thread with no answer raises on access; that is an AttributeError, so getattr copes.
    response: Response | None = getattr(comment, "response", None)
    if response is None:
        return None
    if response.published_at is None and not access.is_team:
        return None
    return response


def drafts_for(version: Version, access: StudyAccess) -> dict[str, CommentDraft]:
    return {
        draft.key: draft
        for draft in CommentDraft.objects.filter(
            version=version, author_id=access.membership.user_id
        )
    }


def rounds_of(version: Version) -> list[ReviewRound]:
    return list(ReviewRound.objects.filter(version=version).order_by("-opens_at"))


def current_assignment(version: Version, user_id: int) -> Assignment | None:
    """The round that matters now: one open now, else the next to open, else the last closed."""
    return _current(
        list(
            Assignment.objects.filter(round__version=version, partner_id=user_id).select_related(
                "round"
            )
        ),
        timezone.now(),
    )


def _current(assignments: list[Assignment], now: dt.datetime) -> Assignment | None:
    open_now = [a for a in assignments if a.round.opens_at <= now < a.round.deadline]
    if open_now:
        return min(open_now, key=lambda a: a.round.deadline)
    coming = [a for a in assignments if a.round.opens_at > now]
    if coming:
        return min(coming, key=lambda a: a.round.opens_at)
    return max(assignments, key=lambda a: a.round.deadline, default=None)


def assignment_of(version: Version, access: StudyAccess) -> Assignment | None:
    return current_assignment(version, access.membership.user_id)


@dataclass(frozen=True)
class ReviewStanding:
    """Where the reader stands in the reviews of a version's document."""

    assignment: Assignment | None  # see ``current_assignment``
    only_own: bool  # see ``hidden_by_independent_review``


def review_standing(version: Version, access: StudyAccess) -> ReviewStanding:
    """``assignment_of`` and ``hidden_by_independent_review`` together, in one query: both
    are read from the reader's assignments on the document's rounds. The team reviews
    nothing (a round asks partners), whatever it was asked while in another role: no query."""
    if access.is_team:
        return ReviewStanding(assignment=None, only_own=False)
    assignments = list(
        Assignment.objects.filter(
            round__version__document_id=version.document_id,
            partner_id=access.membership.user_id,
        ).select_related("round")
    )
    now = timezone.now()
    only_own = not access.is_team and any(
        a.round.independent and a.round.deadline > now and a.state != AssignmentState.FINISHED
        for a in assignments
    )
    here = [a for a in assignments if a.round.version_id == version.pk]
    return ReviewStanding(assignment=_current(here, now), only_own=only_own)


def document_threads(document: Document, access: StudyAccess) -> list[ThreadView]:
    """Every thread on every version of the document that this person may see, oldest first.

    A partner in an unfinished independent review of any version of the document sees only
    their own comments, on every version, as on the version pages.
    """
    only_own = False
    if not access.is_team:
        only_own = (
            Assignment.objects.filter(
                round__version__document=document,
                round__independent=True,
                round__deadline__gt=timezone.now(),
                partner_id=access.membership.user_id,
            )
            .exclude(state=AssignmentState.FINISHED)
            .exists()
        )
    visible = _visible(access, only_own)
    threads = list(
        Comment.objects.filter(visible, version__document=document, parent__isnull=True)
        .select_related(
            "author",
            "author__profile",
            "entered_by",
            "version",
            "response",
            "response__changed_in",
        )
        .defer(*_light("version"), *_light("response__changed_in"))
        .prefetch_related(
            Prefetch(
                "replies",
                queryset=Comment.objects.select_related("author", "entered_by").order_by(
                    "created_at", "id"
                ),
                to_attr="reply_list",
            )
        )
        .order_by("created_at", "id")
    )
    texts = {
        version.pk: block_texts(version)
        for version in {thread.version_id: thread.version for thread in threads}.values()
    }
    return [
        ThreadView(
            thread=thread,
            block_id=thread.block_id,
            quote=thread.quote,
            replies=thread.reply_list,
            response=_shown_response(thread, access),
            block_preview=preview(texts[thread.version_id].get(thread.block_id, (0, ""))[1], 8),
        )
        for thread in threads
    ]


def unanswered_threads(study: Study) -> QuerySet[Comment]:
    """The study's open conversations with no published answer, oldest first, for the team."""
    return (
        Comment.objects.filter(
            version__document__study=study,
            parent__isnull=True,
            state=ThreadState.OPEN,
            withdrawn_at__isnull=True,
        )
        .select_related("version__document", "author", "entered_by")
        .order_by("created_at", "id")
    )


def word_import_first_thread(word_import: WordImport) -> int | None:
    """The conversation holding the first comment or reply a Word file added, if any."""
    first = (
        Comment.objects.filter(
            version_id=word_import.version_id,
            author_id=word_import.on_behalf_of_id or word_import.person_id,
            source_key__in=[row["key"] for row in word_import.proposals],
        )
        .order_by("pk")
        .values_list("pk", "parent_id")
        .first()
    )
    return None if first is None else first[1] or first[0]
