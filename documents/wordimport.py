"""Comments and tracked changes read from a Word copy of a version, placed on the version.

A partner who reviewed in Word sends back the file with comments and tracked changes. Each
Word comment becomes a proposed comment on the words it covers, each tracked change a
proposed comment reading "Suggests: …", and each reply in a Word thread a reply. They are
placed with the same engine that carries comments into a new version
(``anchoring.reanchor_all``): the Word file's paragraphs stand as the "old" version and the
portal's version as the "new", so a comment lands on its exact words in the matching
paragraph, else on the same words elsewhere, else on the closest match with a confidence,
else nowhere (and is offered as a comment on the whole document). Nothing is stored here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from django.utils.translation import gettext as _
from lxml import etree

from documents.anchoring import CONTEXT_CHARS, Anchor, Placement, reanchor_all
from documents.blocks import Block
from documents.conversion.errors import ConversionError
from documents.conversion.zipsafe import check_zip_limits, open_zip, read_member

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
_MACRO_TYPES = (b"macroEnabled", b"vbaProject")
MAX_TEXT_BYTES = 20 * 1024 * 1024
_SPACE = re.compile(r"\s+")

Kind = Literal["comment", "suggestion"]


@dataclass(frozen=True)
class WordComment:
    """One comment, reply or tracked change found in the file."""

    key: str  # the same for the same comment in the same file, to import nothing twice
    kind: Kind
    author: str
    text: str
    paragraph: int  # the Word paragraph it starts in (from 0), -1 for none
    start: int = 0  # the commented words in that paragraph's text, as selectors count
    end: int = 0
    parent: str | None = None  # the key of the comment it replies to


@dataclass(frozen=True)
class Proposal:
    """Where a comment from the file would go on the version, before anyone confirms it."""

    comment: WordComment
    placement: Placement
    quote: str = ""

    @property
    def placed(self) -> bool:
        return self.placement.method not in {"unplaced"} and self.placement.block_id is not None


@dataclass
class _Paragraph:
    text: list[str] = field(default_factory=list)
    starts: dict[str, int] = field(default_factory=dict)
    ends: dict[str, int] = field(default_factory=dict)
    changes: list[tuple[str, str, int, int, str]] = field(default_factory=list)

    @property
    def raw(self) -> str:
        return "".join(self.text)


def read_word(data: bytes) -> tuple[list[Block], list[WordComment]]:
    """The file's paragraphs (as blocks ``w1``, ``w2`` …) and what was said in it."""
    archive = open_zip(data, what=_("Word file"))
    check_zip_limits(archive, what=_("Word file"))
    names = set(archive.namelist())
    # Read in the web request, so the text parts are held to what a long commented document
    # needs (pictures, which are not read, may take the rest of the package's allowance).
    text_parts = ("word/document.xml", "word/comments.xml", "word/commentsExtended.xml")
    if sum(archive.getinfo(n).file_size for n in text_parts if n in names) > MAX_TEXT_BYTES:
        raise ConversionError(
            _(
                "This Word file's text is too large to read its comments here. Please send "
                "the comments in a shorter copy of the document."
            )
        )
    types = read_member(archive, "[Content_Types].xml", what=_("Word file"))
    if any(marker in types for marker in _MACRO_TYPES) or any("vbaProject" in n for n in names):
        raise ConversionError(
            _("This Word file contains macros. Please save it as an ordinary .docx and try again.")
        )
    if "word/document.xml" not in names:
        raise ConversionError(_("This is not a Word document we can read (.docx)."))
    document = _xml(read_member(archive, "word/document.xml", what=_("Word file")))
    comments = (
        _xml(read_member(archive, "word/comments.xml", what=_("Word file")))
        if "word/comments.xml" in names
        else None
    )
    extended = (
        _xml(read_member(archive, "word/commentsExtended.xml", what=_("Word file")))
        if "word/commentsExtended.xml" in names
        else None
    )
    paragraphs = _paragraphs(document)
    blocks, maps = [], []
    for index, paragraph in enumerate(paragraphs):
        text, positions = _collapse(paragraph.raw)
        blocks.append(Block(id=f"w{index + 1}", kind="p", text=text, html=""))
        maps.append(positions)
    found = _comments(comments, extended, paragraphs, maps)
    found += _suggestions(paragraphs, maps)
    return blocks, found


def propose(data: bytes, version_blocks: Sequence[Block]) -> list[Proposal]:
    """Every comment and change in the file, placed on the version where it fits best."""
    word_blocks, comments = read_word(data)
    anchors = [_anchor(comment, word_blocks) for comment in comments]
    placements = reanchor_all(anchors, word_blocks, version_blocks)
    texts = {block.id: block.text for block in word_blocks}
    return [
        # What it was about, to show beside it: the words, or the whole paragraph's text.
        Proposal(
            comment=comment,
            placement=placement,
            quote=anchor.exact or texts.get(anchor.block_id or "", ""),
        )
        for comment, anchor, placement in zip(comments, anchors, placements, strict=True)
    ]


def _anchor(comment: WordComment, blocks: list[Block]) -> Anchor:
    if comment.paragraph < 0 or comment.paragraph >= len(blocks):
        return Anchor()
    block = blocks[comment.paragraph]
    if not block.text:
        return Anchor()
    if comment.end <= comment.start or (comment.start == 0 and comment.end >= len(block.text)):
        return Anchor(block_id=block.id)  # a point, or the whole paragraph
    text = block.text
    return Anchor(
        block_id=block.id,
        exact=text[comment.start : comment.end],
        prefix=text[max(0, comment.start - CONTEXT_CHARS) : comment.start],
        suffix=text[comment.end : comment.end + CONTEXT_CHARS],
        start=comment.start,
        end=comment.end,
    )


def _xml(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise ConversionError(_("This Word file is damaged and cannot be read.")) from error


def _paragraphs(document: etree._Element) -> list[_Paragraph]:
    """Each paragraph's original text (deleted words in, inserted ones out), where comments
    start and end in it, and its tracked changes."""
    out: list[_Paragraph] = []
    open_ranges: set[str] = set()
    for p in document.iter(f"{{{W}}}p"):
        paragraph = _Paragraph()
        for comment_id in open_ranges:
            paragraph.starts[comment_id] = 0
        offset = 0
        for node in p.iter():
            tag = node.tag
            if tag == f"{{{W}}}commentRangeStart":
                paragraph.starts[node.get(f"{{{W}}}id", "")] = offset
                open_ranges.add(node.get(f"{{{W}}}id", ""))
            elif tag == f"{{{W}}}commentRangeEnd":
                paragraph.ends[node.get(f"{{{W}}}id", "")] = offset
                open_ranges.discard(node.get(f"{{{W}}}id", ""))
            elif tag == f"{{{W}}}commentReference":
                comment_id = node.get(f"{{{W}}}id", "")
                paragraph.starts.setdefault(comment_id, offset)
                paragraph.ends.setdefault(comment_id, offset)
            elif tag in {f"{{{W}}}t", f"{{{W}}}delText"} and node.text:
                if tag == f"{{{W}}}t" and _inside(node, "ins"):
                    continue
                paragraph.text.append(node.text)
                offset += len(node.text)
            elif tag in {f"{{{W}}}tab", f"{{{W}}}br"}:
                paragraph.text.append(" ")
                offset += 1
            elif tag in {f"{{{W}}}ins", f"{{{W}}}del"}:
                words = "".join(t.text or "" for t in node.iter(f"{{{W}}}t", f"{{{W}}}delText"))
                kind = "ins" if tag == f"{{{W}}}ins" else "del"
                paragraph.changes.append(
                    (kind, node.get(f"{{{W}}}author", ""), offset, offset, words)
                )
        # A range still open runs to the end of this paragraph, as a selection does.
        for comment_id in open_ranges:
            paragraph.ends.setdefault(comment_id, offset)
        out.append(_settle_changes(paragraph))
    return out


def _inside(node: etree._Element, name: str) -> bool:
    return any(parent.tag == f"{{{W}}}{name}" for parent in node.iterancestors())


def _settle_changes(paragraph: _Paragraph) -> _Paragraph:
    """Deleted words occupy the original text; give each deletion its span there."""
    settled = []
    for kind, author, start, _end, words in paragraph.changes:
        end = start + len(words) if kind == "del" else start
        settled.append((kind, author, start, end, words))
    paragraph.changes = settled
    return paragraph


def _collapse(raw: str) -> tuple[str, list[int]]:
    """The text with whitespace collapsed and trimmed (as blocks count), and for each raw
    offset its place in that text."""
    positions: list[int] = []
    out: list[str] = []
    pending = False
    for char in raw:
        positions.append(len(out) + (1 if pending and out else 0))
        if char.isspace():
            pending = bool(out)
            continue
        if pending:
            out.append(" ")
            pending = False
        out.append(char)
    positions.append(len(out))
    return "".join(out), positions


def _comments(
    comments: etree._Element | None,
    extended: etree._Element | None,
    paragraphs: list[_Paragraph],
    maps: list[list[int]],
) -> list[WordComment]:
    if comments is None:
        return []
    parents: dict[str, str] = {}
    para_of: dict[str, str] = {}
    if extended is not None:
        for entry in extended.iter(f"{{{W15}}}commentEx"):
            if entry.get(f"{{{W15}}}paraIdParent"):
                parents[entry.get(f"{{{W15}}}paraId", "")] = entry.get(f"{{{W15}}}paraIdParent", "")
    found: list[WordComment] = []
    keys: dict[str, str] = {}
    for comment in comments.iter(f"{{{W}}}comment"):
        comment_id = comment.get(f"{{{W}}}id", "")
        author = comment.get(f"{{{W}}}author", "")
        text = "\n\n".join(
            "".join(t.text or "" for t in p.iter(f"{{{W}}}t")).strip()
            for p in comment.iter(f"{{{W}}}p")
        ).strip()
        for p in comment.iter(f"{{{W}}}p"):
            para_of[p.get(f"{{{W14}}}paraId", "") or f"-{comment_id}"] = comment_id
        index, start, end = _where(comment_id, paragraphs, maps)
        key = _key("comment", author, comment.get(f"{{{W}}}date", ""), text, index, start, end)
        keys[comment_id] = key
        found.append(
            WordComment(
                key=key,
                kind="comment",
                author=author,
                text=text,
                paragraph=index,
                start=start,
                end=end,
            )
        )
    # A reply names its parent comment by its last paragraph's id.
    by_id = {c.get(f"{{{W}}}id", ""): c for c in comments.iter(f"{{{W}}}comment")}
    replies: dict[str, str] = {}
    for comment_id, comment in by_id.items():
        last = list(comment.iter(f"{{{W}}}p"))
        para_id = last[-1].get(f"{{{W14}}}paraId", "") if last else ""
        parent_para = parents.get(para_id)
        if parent_para and para_of.get(parent_para) in keys:
            replies[comment_id] = keys[para_of[parent_para]]
    return [replace(c, parent=replies.get(_id)) for _id, c in zip(by_id, found, strict=True)]


def _where(
    comment_id: str, paragraphs: list[_Paragraph], maps: list[list[int]]
) -> tuple[int, int, int]:
    """The paragraph a comment starts in and its span there, in collapsed text."""
    for index, paragraph in enumerate(paragraphs):
        if comment_id in paragraph.starts:
            raw_start = paragraph.starts[comment_id]
            raw_end = paragraph.ends.get(comment_id, len(paragraph.raw))
            start, end = maps[index][raw_start], maps[index][raw_end]
            return index, start, max(start, end)
    return -1, 0, 0


def _suggestions(paragraphs: list[_Paragraph], maps: list[list[int]]) -> list[WordComment]:
    """Each tracked change as a suggestion on the words it changes (an insertion: on the
    word before it, or after it at a paragraph's start)."""
    found: list[WordComment] = []
    for index, paragraph in enumerate(paragraphs):
        changes = paragraph.changes
        used: set[int] = set()
        for position, (kind, author, start, end, words) in enumerate(changes):
            if position in used:
                continue
            following = changes[position + 1] if position + 1 < len(changes) else None
            if kind == "del" and following and following[0] == "ins" and following[2] == end:
                used.add(position + 1)
                text = _("Suggests: “%(old)s” → “%(new)s”") % {"old": words, "new": following[4]}
            elif kind == "del":
                text = _("Suggests removing: “%(old)s”") % {"old": words}
            else:
                text = _("Suggests adding: “%(new)s”") % {"new": words}
            raw = paragraph.raw
            if start == end:
                start, end = _word_near(raw, start)
            a, b = maps[index][start], maps[index][end]
            found.append(
                WordComment(
                    key=_key("suggestion", author, "", text, index, a, b),
                    kind="suggestion",
                    author=author,
                    text=text,
                    paragraph=index,
                    start=a,
                    end=b,
                )
            )
    return found


def _word_near(raw: str, at: int) -> tuple[int, int]:
    """The word just before ``at`` (or just after, at the start): where an insertion goes."""
    before = raw[:at].rstrip()
    if before:
        start = len(before) - len(before.split()[-1])
        return start, len(before)
    after = raw[at:]
    stripped = after.lstrip()
    if not stripped:
        return at, at
    start = at + len(after) - len(stripped)
    return start, start + len(stripped.split()[0])


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
