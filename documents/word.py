"""A version as a Word file, with its conversations as Word comments on their passages.

Partners and teams who work in Word can read the comments where they always have: each
thread is a comment on its quoted words (or its whole paragraph), each reply a reply to it,
and the team's answer a reply from the team with its outcome. Word and LibreOffice show
replies as a thread from ``word/commentsExtended.xml``, which python-docx does not write, so
it is added here: each comment's paragraph gets a ``w14:paraId`` and each reply names its
parent's. Only what the downloader may see is in the file (the caller passes their threads).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document as new_docx
from docx.document import Document as Docx
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from documents.blocks import Block
from documents.models import Comment, Response, Version
from documents.selectors import ThreadView, passage_in
from documents.webannotation import person_name, proxy_note

_W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
_EXTENDED_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
)
_EXTENDED_RELATION = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"
# A paragraph id is eight hexadecimal digits below 0x80000000; these count up from here.
_FIRST_PARA_ID = 0x10000001
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class _Placed:
    """Where a thread goes: the runs its comment covers."""

    view: ThreadView
    runs: list[Run]


def version_docx(version: Version, blocks: Sequence[Block], views: Sequence[ThreadView]) -> bytes:
    """The version's text as a Word document with each thread as a comment where it belongs."""
    document = new_docx()
    document.styles["Normal"].font.size = Pt(12)
    title = document.add_heading(
        _("%(title)s, version %(n)s") % {"title": version.document.title, "n": version.number},
        level=0,
    )
    texts = {block.id: block.text for block in blocks}
    passages: dict[str, list[tuple[int, int]]] = {}
    for view in views:
        span = _span(view, texts)
        if span is not None:
            passages.setdefault(view.block_id, []).append(span)
    runs_of: dict[str, list[tuple[int, int, Run]]] = {}
    for block in blocks:
        paragraph = _paragraph(document, block)
        runs_of[block.id] = _runs(paragraph, block.text, passages.get(block.id, []))
    threads = Threads(document)
    for view in views:
        if view.thread.withdrawn_at:
            continue
        threads.add(view, _covering(view, texts, runs_of) or title.runs)
    threads.finish()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _span(view: ThreadView, texts: dict[str, str]) -> tuple[int, int] | None:
    if view.unplaced or not view.block_id or view.block_id not in texts:
        return None
    start, end = passage_in(texts[view.block_id], view.selectors)
    return (start, end) if start is not None and end is not None else None


def _paragraph(document: Docx, block: Block) -> Paragraph:
    kind = block.kind
    if kind.startswith("h") and kind[1:].isdigit():
        heading: Paragraph = document.add_heading(level=min(int(kind[1:]), 9))
        return heading
    if kind == "li":
        return document.add_paragraph(style="List Bullet")
    paragraph = document.add_paragraph()
    if kind in {"img", "caption"}:
        paragraph.style = document.styles["Caption"]
    return paragraph


def _runs(
    paragraph: Paragraph, text: str, spans: list[tuple[int, int]]
) -> list[tuple[int, int, Run]]:
    """The block's text in runs that break wherever a commented passage starts or ends."""
    if not text:
        text = " "
    bounds = sorted({0, len(text)} | {p for span in spans for p in span if 0 <= p <= len(text)})
    runs = []
    for start, end in pairwise(bounds):
        if start < end:
            runs.append((start, end, paragraph.add_run(text[start:end])))
    return runs


def _covering(
    view: ThreadView, texts: dict[str, str], runs_of: dict[str, list[tuple[int, int, Run]]]
) -> list[Run]:
    runs = runs_of.get(view.block_id, [])
    span = _span(view, texts)
    if span is None:
        return [run for _start, _end, run in runs]
    return [run for start, end, run in runs if span[0] <= start and end <= span[1]]


def _noted(comment: Comment, paragraphs: list[str]) -> list[str]:
    """The comment's paragraphs, said to be entered by proxy before its words when it was."""
    note = proxy_note(comment)
    if note is None:
        return paragraphs
    return [*paragraphs[:-1], f"({note}.)", paragraphs[-1]]


class Threads:
    """Adds comments and replies, and writes which reply answers which."""

    def __init__(self, document: Docx) -> None:
        self.document = document
        self.next_id = _FIRST_PARA_ID
        self.links: list[tuple[str, str | None]] = []

    def add(self, view: ThreadView, runs: list[Run]) -> None:
        thread = view.thread
        words = [thread.body]
        if view.unplaced and view.quote:
            words.insert(0, _("About words no longer in this version: “%(q)s”") % {"q": view.quote})
        elif view.block_id and not view.quote:
            words.insert(0, _("On the whole paragraph."))
        elif not view.block_id and not view.unplaced:
            words.insert(0, _("On the whole document."))
        parent = self._comment(runs, person_name(thread.author), _noted(thread, words), None)
        for reply in view.replies:
            if not reply.withdrawn_at:
                self._comment(runs, person_name(reply.author), _noted(reply, [reply.body]), parent)
        if view.response is not None:
            self._comment(runs, _("The study team"), _answer(view.response), parent)

    def _comment(
        self, runs: list[Run], author: str, paragraphs: list[str], parent: str | None
    ) -> str:
        comment = self.document.add_comment(
            runs, text=paragraphs[0], author=author, initials=_initials(author)
        )
        for more in paragraphs[1:]:
            comment.add_paragraph(more)
        para_id = f"{self.next_id:08X}"
        self.next_id += 1
        comment.paragraphs[-1]._p.set(qn("w14:paraId"), para_id)
        self.links.append((para_id, parent))
        return para_id

    def finish(self) -> None:
        """The commentsExtended part: each reply's paragraph names its thread's."""
        if not self.links:
            return
        root = etree.Element(f"{{{_W15}}}commentsEx", nsmap={"w15": _W15})
        for para_id, parent in self.links:
            entry = etree.SubElement(root, f"{{{_W15}}}commentEx")
            entry.set(f"{{{_W15}}}paraId", para_id)
            if parent is not None:
                entry.set(f"{{{_W15}}}paraIdParent", parent)
            entry.set(f"{{{_W15}}}done", "0")
        blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        main = self.document.part
        part = Part(PackURI("/word/commentsExtended.xml"), _EXTENDED_TYPE, blob, main.package)
        main.relate_to(part, _EXTENDED_RELATION)


def _answer(response: Response) -> list[str]:
    outcome = response.get_outcome_display()
    words = [_("You said, we did: %(outcome)s.") % {"outcome": outcome}]
    if not response.published_at:
        words[0] = _("Draft, not published: %(words)s") % {"words": words[0]}
    if response.changed_in is not None:
        words.append(_("Changed in version %(n)s.") % {"n": response.changed_in.number})
    words.append(response.body)
    if response.reason:
        words.append(_("Why: %(reason)s") % {"reason": response.reason})
    return words


def _initials(name: str) -> str:
    return "".join(part[0] for part in name.split()[:3] if part).upper()


def filename(version: Version) -> str:
    stamp = timezone.localdate().isoformat()
    safe = "".join(c if c.isalnum() or c in " -_" else " " for c in version.document.title)
    return f"{' '.join(safe.split())[:80]} v{version.number} with comments {stamp}.docx"
