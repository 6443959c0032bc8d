"""A version's comments as W3C Web Annotations (https://www.w3.org/TR/annotation-model/).

Each comment is one annotation with one IRI in every version's export; the version lies in
its target. A target names the version's page and selects the passage the way annotation
tools read a page: a TextQuoteSelector and a TextPositionSelector over the page's text (its
``textContent``, the document's words only), and the block as a FragmentSelector refined by
the passage's position within the block. Replies and the team's answers are annotations
whose target is the comment they answer.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from documents.anchoring import CONTEXT_CHARS, POSITION_SELECTOR, QUOTE_SELECTOR
from documents.models import Comment, Response, Version
from documents.pagetext import BlockText, PageText, count_matches, page_text
from documents.selectors import ThreadView
from portal.accounts import naming
from portal.accounts.models import User

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = f'application/ld+json; profile="{ANNO_CONTEXT}"; charset=utf-8'
# Block ids are the ids of HTML elements, which RFC 3236 makes fragment identifiers.
HTML_FRAGMENTS = "http://tools.ietf.org/rfc/rfc3236"
# A version with more comments than this is served as several pages of the collection.
PAGE_SIZE = 500
_CREATOR_SALT = "documents.annotations.creator"


def _absolute(path: str) -> str:
    # The site's own address rather than the request's, so IRIs stay the same however the
    # portal was reached.
    return str(settings.SITE_URL) + path


def version_iri(study_id: int, document_id: int, number: int) -> str:
    return _absolute(reverse("version_detail", args=[study_id, document_id, number]))


def collection_iri(study_id: int, document_id: int, number: int) -> str:
    return _absolute(reverse("version_annotations", args=[study_id, document_id, number]))


def page_iri(study_id: int, document_id: int, number: int, page: int) -> str:
    return _absolute(reverse("version_annotation_page", args=[study_id, document_id, number, page]))


def comment_iri(study_id: int, comment_id: int) -> str:
    return _absolute(reverse("comment_detail", args=[study_id, comment_id]))


def creator_iri(study_id: int, user_id: int) -> str:
    """An opaque IRI for a person in a study: the same on every export, naming no one.

    Scoped to the study, so exports of two studies cannot be joined to follow a partner
    who asked not to be named.
    """
    digest = salted_hmac(_CREATOR_SALT, f"{study_id}:{user_id}", algorithm="sha256").digest()
    return uuid.UUID(bytes=digest[:16], version=4).urn


def person_name(person: User) -> str:
    """As the person asked to be acknowledged: by name, or as a public partner; once erased,
    as a former partner."""
    return naming.person_name(person, public=True)


def proxy_note(comment: Comment) -> str | None:
    """ "Entered by … on behalf of …" for a comment a coordinator entered for its author."""
    if not comment.by_proxy or comment.entered_by is None:
        return None
    return _("Entered by %(by)s on behalf of %(partner)s") % {
        "by": person_name(comment.entered_by),
        "partner": person_name(comment.author),
    }


def timestamp(value: dt.datetime) -> str:
    """xsd:dateTime in UTC, to the second."""
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def body_language() -> str:
    """The portal's language as a BCP 47 tag ("en-GB"): comments are written in it."""
    language, _sep, region = str(settings.LANGUAGE_CODE).partition("-")
    return f"{language}-{region.upper()}" if region else language


@dataclass(frozen=True)
class VersionPage:
    """A version's page: its IRI and its text. A long version is shown a part at a time, each
    part a page of its own (``?section=N``): a passage is on the part holding its block."""

    iri: str
    text: PageText
    parts: Mapping[str, VersionPage] = field(default_factory=dict)  # by block id

    def holding(self, block_id: str) -> VersionPage:
        """The page that shows the block: its part, for a long version."""
        return self.parts.get(block_id, self)

    @classmethod
    def of(cls, version: Version, study_id: int) -> VersionPage:
        iri = version_iri(study_id, version.document_id, version.number)
        if not version.sections:
            return cls(iri=iri, text=page_text(version.html))
        parts: dict[str, VersionPage] = {}
        for number, section in enumerate(version.sections, 1):
            part = cls(
                iri=f"{iri}?section={number}",
                text=page_text(version.html[int(section["start"]) : int(section["end"])]),
            )
            parts.update(dict.fromkeys(part.text.blocks, part))
        return cls(iri=iri, text=PageText(""), parts=parts)


@dataclass(frozen=True)
class AnnotationSet:
    """What one person may see of a version's comments, as annotations."""

    study_id: int
    version: Version
    page: VersionPage
    # The versions comments were first made on, for those no longer found in this one.
    earlier: Mapping[int, VersionPage]

    def items(self, views: Sequence[ThreadView]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        language = body_language()
        for view in views:
            thread = view.thread
            if thread.withdrawn_at:
                continue
            items.append(self._comment(view, language))
            thread_id = comment_iri(self.study_id, thread.pk)
            for reply in view.replies:
                if not reply.withdrawn_at:
                    items.append(self._reply(reply, thread_id, language))
            answer = view.response
            if answer is not None and answer.published_at is not None:
                items.append(self._answer(answer, thread_id, language))
        return items

    def _person(self, person: User) -> dict[str, str]:
        return {
            "id": creator_iri(self.study_id, person.pk),
            "type": "Person",
            "name": person_name(person),
        }

    def _written(
        self, comment: Comment, language: str, *, motivation: str, target: object
    ) -> dict[str, Any]:
        annotation: dict[str, Any] = {
            "id": comment_iri(self.study_id, comment.pk),
            "type": "Annotation",
            "motivation": motivation,
            "created": timestamp(comment.created_at),
        }
        if comment.edited_at is not None:
            annotation["modified"] = timestamp(comment.edited_at)
        body: object = _text_body(comment.body, language)
        note = proxy_note(comment)
        if note is not None:
            # Entered by a coordinator for the author: said beside the words, not in them.
            body = [
                {**_text_body(comment.body, language), "purpose": motivation},
                {**_text_body(note, language), "purpose": "describing"},
            ]
        annotation.update(creator=self._person(comment.author), body=body, target=target)
        return annotation

    def _comment(self, view: ThreadView, language: str) -> dict[str, Any]:
        return self._written(
            view.thread, language, motivation="commenting", target=self._target(view)
        )

    def _reply(self, reply: Comment, thread_id: str, language: str) -> dict[str, Any]:
        return self._written(reply, language, motivation="replying", target=thread_id)

    def _answer(self, answer: Response, thread_id: str, language: str) -> dict[str, Any]:
        outcome = answer.get_outcome_display()
        text = f"{outcome}. {answer.body}"
        if answer.reason:
            text += " " + _("Why: %(reason)s") % {"reason": answer.reason}
        if answer.changed_in is not None:
            text += " " + _("Changed in version %(n)s.") % {"n": answer.changed_in.number}
        annotation: dict[str, Any] = {
            "id": f"{thread_id}#answer",
            "type": "Annotation",
            "motivation": "replying",
            "created": timestamp(answer.created_at),
        }
        changed = max(answer.updated_at, answer.published_at or answer.updated_at)
        if timestamp(changed) != annotation["created"]:
            annotation["modified"] = timestamp(changed)
        annotation.update(
            creator={
                "id": _absolute(reverse("study_detail", args=[self.study_id])) + "#team",
                "type": "Organization",
                "name": _("Study team"),
            },
            body=[
                {**_text_body(text, language), "purpose": "replying"},
                {**_text_body(outcome, language), "purpose": "tagging"},
            ],
            target=thread_id,
        )
        return annotation

    def _target(self, view: ThreadView) -> object:
        thread = view.thread
        if view.unplaced:
            # Not found in this version: the passage where the comment was made, seen from
            # here, and never the whole document.
            made_on = self.earlier.get(thread.version_id) or VersionPage(
                iri=version_iri(self.study_id, self.version.document_id, thread.version.number),
                text=PageText(""),
            )
            target = passage_target(made_on, thread.block_id, thread.selectors)
            if thread.quote and not isinstance(target["selector"], list):
                # That page's text could not be read: the words as they were stored.
                stored = _quote_of(thread.selectors) or {}
                quote = {k: v for k, v in stored.items() if k in {"prefix", "suffix"} and v}
                target["selector"] = [
                    {"type": QUOTE_SELECTOR, "exact": thread.quote, **quote},
                    target["selector"],
                ]
            target["scope"] = self.page.iri
            target["label"] = self._unplaced_note(thread)
            return target
        if not view.block_id:
            return self.page.iri
        return passage_target(self.page, view.block_id, view.selectors)

    def _unplaced_note(self, thread: Comment) -> str:
        return _(
            "This passage of version %(then)s is not in version %(now)s; the comment points "
            "at it where it was made."
        ) % {"then": thread.version.number, "now": self.version.number}


def _text_body(value: str, language: str) -> dict[str, str]:
    return {"type": "TextualBody", "value": value, "format": "text/plain", "language": language}


def passage_target(
    page: VersionPage, block_id: str, stored: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The target for a block, or a passage in it, given the selectors stored for it."""
    page = page.holding(block_id)
    fragment: dict[str, Any] = {
        "type": "FragmentSelector",
        "conformsTo": HTML_FRAGMENTS,
        "value": block_id,
    }
    block = page.text.blocks.get(block_id)
    span = None if block is None else _page_span(block, stored)
    if block is None or span is None:
        return {"type": "SpecificResource", "source": page.iri, "selector": fragment}
    start, end = span
    text = page.text.text
    quote: dict[str, Any] = {"type": QUOTE_SELECTOR, "exact": text[start:end]}
    prefix, suffix = unique_context(text, start, end)
    if prefix:
        quote["prefix"] = prefix
    if suffix:
        quote["suffix"] = suffix
    if _quote_of(stored) is not None:
        fragment["refinedBy"] = {
            "type": POSITION_SELECTOR,
            "start": start - block.start,
            "end": end - block.start,
        }
    return {
        "type": "SpecificResource",
        "source": page.iri,
        "selector": [quote, {"type": POSITION_SELECTOR, "start": start, "end": end}, fragment],
    }


def _quote_of(stored: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return next((s for s in stored if s.get("type") == QUOTE_SELECTOR), None)


def _page_span(block: BlockText, stored: Sequence[Mapping[str, Any]]) -> tuple[int, int] | None:
    """Where the stored passage (or, for a whole-block comment, the block) is in the page."""
    quote = _quote_of(stored)
    if quote is None:
        return block.span(0, len(block.collapsed))
    exact = str(quote.get("exact", ""))
    if not exact:
        return None
    position = next((s for s in stored if s.get("type") == POSITION_SELECTOR), {})
    start = position.get("start")
    if isinstance(start, int) and block.collapsed[start : start + len(exact)] == exact:
        return block.span(start, start + len(exact))
    # The page was built differently from the text the selector counted in; the words, and
    # the context around them, still say which occurrence it was.
    found = [i for i in range(len(block.collapsed)) if block.collapsed.startswith(exact, i)]
    if not found:
        return None
    prefix, suffix = str(quote.get("prefix", "")), str(quote.get("suffix", ""))

    def agreement(i: int) -> tuple[int, int]:
        before = block.collapsed[:i]
        after = block.collapsed[i + len(exact) :]
        near = -abs(i - start) if isinstance(start, int) else 0
        return (int(before.endswith(prefix)) + int(after.startswith(suffix)), near)

    best = max(found, key=agreement)
    return block.span(best, best + len(exact))


def unique_context(text: str, start: int, end: int) -> tuple[str, str]:
    """A prefix and suffix around text[start:end] long enough to find it there only once.

    Annotation tools keep 32 characters either side; where that is not enough (a phrase
    repeated with the same words around it) the context grows until it is.
    """
    exact = text[start:end]
    size = CONTEXT_CHARS
    while True:
        prefix = text[max(0, start - size) : start]
        suffix = text[end : end + size]
        whole = start - size <= 0 and end + size >= len(text)
        if whole or count_matches(text, prefix + exact + suffix) <= 1:
            return prefix, suffix
        size *= 2


def collection(
    *,
    study_id: int,
    version: Version,
    items: list[dict[str, Any]],
) -> dict[str, Any]:
    """The AnnotationCollection, with its first page embedded; no page when it is empty."""
    ids = (study_id, version.document_id, version.number)
    data: dict[str, Any] = {
        "@context": ANNO_CONTEXT,
        "id": collection_iri(*ids),
        "type": "AnnotationCollection",
        "label": collection_label(version),
        "total": len(items),
    }
    if items:
        pages = page_count(len(items))
        first = annotation_page(study_id=study_id, version=version, items=items, number=1)
        del first["@context"]
        data["first"] = first
        data["last"] = page_iri(*ids, pages)
    return data


def collection_label(version: Version) -> str:
    return _("Comments on %(title)s, version %(n)s") % {
        "title": version.document.title,
        "n": version.number,
    }


def page_count(total: int) -> int:
    return (total + PAGE_SIZE - 1) // PAGE_SIZE


def annotation_page(
    *, study_id: int, version: Version, items: list[dict[str, Any]], number: int
) -> dict[str, Any]:
    """Page ``number`` (from 1) of the collection; the caller checks that it exists."""
    ids = (study_id, version.document_id, version.number)
    start = (number - 1) * PAGE_SIZE
    data: dict[str, Any] = {
        "@context": ANNO_CONTEXT,
        "id": page_iri(*ids, number),
        "type": "AnnotationPage",
        "partOf": {
            "id": collection_iri(*ids),
            "label": collection_label(version),
            "total": len(items),
        },
        "startIndex": start,
        "items": items[start : start + PAGE_SIZE],
    }
    if number > 1:
        data["prev"] = page_iri(*ids, number - 1)
    if number < page_count(len(items)):
        data["next"] = page_iri(*ids, number + 1)
    return data
