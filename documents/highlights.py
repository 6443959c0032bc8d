"""The document as one person sees it: commented passages marked, and how many comments
each block has.

Marks are put into the HTML on the server, so they show without JavaScript. A passage is
found by the same plain-text count that selectors use (``documents.conversion.split``):
text and tails in reading order, a space after block-level elements, whitespace collapsed.
Neither marks nor count links add text to the document: a mark wraps words that are there
already, and the labels a screen reader hears come from CSS (``data-label``, ``::before``).

The result depends only on the version (never changed once converted) and on which
passages and counts the reader may see, so it is kept in Django's cache under a hash of
those: every partner of a study shares one entry, and a new or removed comment makes a new
key rather than a stale page.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import NamedTuple

from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from lxml import etree

from documents.conversion.split import BREAKS, HOLDERS, NESTED
from documents.pagetext import is_furniture
from documents.rendition import CONTROL_CLASS, TOOLS_CLASS, noun

# Bump when the markup made here changes, so cached pages are made again.
_REVISION = 1
CACHE_SECONDS = 24 * 60 * 60

_STRUCTURE = NESTED | {"thead", "tbody", "tfoot", "tr"}
_WORDS = re.compile(r"\S+")
# Whitespace that is not a single space: a line break, a tab, two spaces in a row.
_IRREGULAR_SPACE = re.compile(r"[^\S ]|  ")


class Passage(NamedTuple):
    """A commented passage: characters ``start:end`` of a block's plain text. A tuple: a
    page has hundreds, sorted, hashed and written into a key on every view."""

    thread_id: int
    block_id: str
    start: int
    end: int


@dataclass
class _Piece:
    """A run of document text: an element's ``text`` or ``tail`` (no element: the whole
    text of a block that holds nothing else, read straight from the page)."""

    element: etree._Element | None
    attribute: str  # "text" or "tail"
    value: str
    # (first, end, position, is whitespace) for each run of word or whitespace characters
    runs: list[tuple[int, int, int, bool]] = field(default_factory=list)
    # For text whose only whitespace is single spaces, every character's position is its
    # index plus this, and ``runs`` is not needed (most text is so, and this is much quicker).
    offset: int | None = None

    @property
    def measured(self) -> bool:
        return self.offset is not None or bool(self.runs)


def document_page(
    version_stamp: str,
    stored_html: str | Callable[[], str],
    passages: Iterable[Passage],
    counts: dict[str, int],
    first_words: dict[str, str] | Callable[[], dict[str, str]] | None = None,
) -> str:
    """The version's HTML with the reader's passages marked and each block's comment count.

    ``stored_html`` and ``first_words`` may be functions that make them: they are then called
    only when the page is not in the cache, so a page seen before costs neither."""
    passages = sorted(set(passages), key=lambda p: (p.block_id, p.start, p.end, p.thread_id))
    counted = sorted((block, n) for block, n in counts.items() if n)
    named = [tuple(passage) for passage in passages]  # a tuple's repr is quicker to make
    key = (
        "document-page:"
        + hashlib.sha256(
            repr((_REVISION, version_stamp, translation.get_language(), named, counted)).encode()
        ).hexdigest()
    )
    page = cache.get(key)
    if page is None:
        html = stored_html() if callable(stored_html) else stored_html
        page = (
            _mark(
                html,
                passages,
                dict(counted),
                (first_words() if callable(first_words) else first_words) or {},
            )
            if passages or counted
            else html
        )
        cache.set(key, page, CACHE_SECONDS)
    return str(page)


def _mark(
    stored_html: str,
    passages: list[Passage],
    counts: dict[str, int],
    first_words: dict[str, str] | None = None,
) -> str:
    by_block: dict[str, list[Passage]] = {}
    for passage in passages:
        by_block.setdefault(passage.block_id, []).append(passage)
    marker = _Marker(by_block, counts, first_words or {})
    return marker.in_places(stored_html) or marker.whole(stored_html)


# An attribute naming a block (``data-block``) or the block a Comment control is for.
# The start of a block's tag, and of its Comment control's, up to the attribute naming the
# block, as ``conversion.split`` and ``rendition`` write them.
_BLOCK_TAG = re.compile(r'<[a-z][a-z0-9]* id="(?P<id>[^"<>]*)"')
_CONTROL_TAG = re.compile(r'<a class="block-comment" href="\?block=(?P<id>[^"<>#]*)#comment-form"')
_PARSER = etree.HTMLParser(remove_blank_text=False)
# A block holding only text, and its Comment control when it is a list item or a table cell.
_PLAIN_BLOCK = re.compile(
    r"(?P<opening><(?P<tag>[a-z][a-z0-9]*)\b[^<>]*>)(?P<text>[^<]*)"
    r'(?P<control><a class="block-comment"[^<>]*></a>)?</(?P=tag)>'
)
# Text that lxml wrote holds no entity but these three.
_OTHER_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
_BLOCK_NAME = re.compile(r"[a-z][a-z0-9]*")
_LIST_ITEM = re.compile(r"<li[\s>]")
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]+")
# A tag in HTML that lxml wrote: no "<" or ">" inside one, since it escapes them in values.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^<>]*>")
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
    "param",
}
# What would make tags hard to count without parsing: comments, raw text, CDATA.
_UNUSUAL = re.compile(r"<!|<\?|<(?:script|style|textarea|title)\b", re.IGNORECASE)


class _Marker:
    """Marks and counts for one reader, put into the stored page.

    ``in_places`` parses only the blocks that have passages and splices every count link in
    after its block's Comment control, which is what ``whole`` does to a parse of the whole
    page, byte for byte, at a fraction of the cost; it declines (None) a page whose shape it
    does not expect, which ``whole`` then marks.
    """

    def __init__(
        self, by_block: dict[str, list[Passage]], counts: dict[str, int], words: dict[str, str]
    ) -> None:
        self.by_block = by_block
        self.counts = counts
        self.words = words
        self.labels: dict[tuple[int, str], tuple[str, str]] = {}
        self.passage_words = _passage_words()
        # The same few attribute values over and over, quoted once.
        self.quoted = functools.cache(_attribute)

    def whole(self, stored_html: str) -> str:
        root = _parsed(stored_html)
        self._apply(root.xpath(".//*[@data-block]"))
        # One serialisation of the wrapper, less its own tags, is much quicker than one a child.
        whole = etree.tostring(root, encoding="unicode", method="html")
        return whole[len("<div>") : -len("</div>")]

    def in_places(self, stored_html: str) -> str | None:
        if _UNUSUAL.search(stored_html):
            return None
        if not all(_PLAIN_ID.fullmatch(block_id) for block_id in self.counts):
            return None
        positions = self._positions(stored_html)
        if positions is None:
            return None
        starts, controls = positions
        # The marked blocks: one of plain text is marked as text, the others are parsed; a
        # block inside another is marked with it.
        regions: list[tuple[int, int]] = []
        edits: list[tuple[int, int, str]] = []
        parsed: list[tuple[int, int]] = []
        for start, block_id in sorted((starts[block_id], block_id) for block_id in self.by_block):
            if regions and start < regions[-1][1]:
                continue
            plain = _PLAIN_BLOCK.match(stored_html, start)
            marked = self._plain(plain, block_id) if plain else None
            if plain is not None and marked is not None:
                regions.append((start, plain.end()))
                edits.append((start, plain.end(), marked))
                continue
            end = _element_end(stored_html, start)
            if end is None:
                return None
            regions.append((start, end))
            parsed.append((start, end))
        if parsed and len(_LIST_ITEM.findall(stored_html)) != stored_html.count("</li>"):
            # lxml writes an empty list item without its end tag, which the count of tags that
            # finds where a parsed block ends would take for one still open.
            return None
        # The others are parsed together, as children of one wrapper: one parse is quicker.
        wrapper = _parsed("".join(stored_html[start:end] for start, end in parsed))
        roots = list(wrapper)
        if len(roots) != len(parsed):
            return None
        for root, (start, end) in zip(roots, parsed, strict=True):
            if not stored_html.endswith(f"</{root.tag!s}>", start, end):
                return None
            inside = [e for e in root.iter() if isinstance(e.tag, str) and e.get("data-block")]
            # A count whose control is outside the region goes in below, with the others.
            self._apply(inside, outside=None if root.tag in HOLDERS else root)
            root.tail = None
            edits.append((start, end, etree.tostring(root, encoding="unicode", method="html")))
        for block_id, at in controls.items():
            # A control inside a marked region (a list item's, a table cell's) is counted there.
            index = bisect.bisect_right(regions, (at, len(stored_html)))
            if index and at < regions[index - 1][1]:
                continue
            tag = _BLOCK_NAME.match(stored_html, starts[block_id] + 1)
            if tag is None:
                return None
            edits.append((at, at, self._count_html(block_id, self.counts[block_id], tag.group())))
        edits.sort(key=lambda edit: edit[0])
        out: list[str] = []
        done = 0
        for start, end, text in edits:
            if start < done:
                return None
            out += [stored_html[done:start], text]
            done = end
        out.append(stored_html[done:])
        return "".join(out)

    def _positions(self, stored_html: str) -> tuple[dict[str, int], dict[str, int]] | None:
        """Where each marked or counted block's start tag is, and where each counted block's
        Comment control ends; None for a page not laid out as the portal lays pages out.

        Blocks are numbered in reading order ("b1", "b2" …), so they are found in one pass by
        looking ahead from the last. Only a tag as ``rendition`` writes it counts: the same
        words in the document's text, or in a control's label, are skipped."""
        counted = {block_id for block_id, count in self.counts.items() if count}
        starts: dict[str, int] = {}
        controls: dict[str, int] = {}
        at = 0
        for block_id in sorted(counted | set(self.by_block), key=lambda b: (len(b), b)):
            start = _tag_at(stored_html, f' data-block="{block_id}"', at, _BLOCK_TAG, block_id)
            if start < 0:
                return None
            starts[block_id], at = start, start + 1
            if block_id in counted:
                control = _tag_at(
                    stored_html, f' data-comment-block="{block_id}"', start, _CONTROL_TAG, block_id
                )
                close = stored_html.find("</a>", control) if control >= 0 else -1
                if close < 0:
                    return None
                controls[block_id] = close + len("</a>")
        return starts, controls

    def _plain(self, match: re.Match[str], block_id: str) -> str | None:
        """A marked block that holds only text (and its control), marked without parsing it;
        None for any other."""
        opening, tag, text, control = match.group("opening", "tag", "text", "control")
        if _OTHER_ENTITY.search(text) or (tag in HOLDERS) != bool(control):
            return None
        value = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        passages = self.by_block.get(block_id, [])
        if len(passages) == 1 and not _IRREGULAR_SPACE.search(value):
            # One passage in single-spaced text (most are): one mark, made directly.
            marked = self._one_mark(value, passages[0]) or text
        else:
            piece = _Piece(None, "text", value)
            _measure([piece])
            plan = _plan([piece], passages)
            marked = (
                _wrapped_text(value, plan[0][1], self.passage_words, self.quoted) if plan else text
            )
        count = self.counts.get(block_id) if control else None
        link = self._count_html(block_id, count, tag) if count else ""
        return f"{opening}{marked}{control or ''}{link}</{tag}>"

    def _one_mark(self, value: str, passage: Passage) -> str | None:
        """``_wrapped_text`` for one passage in text whose whitespace is single spaces, where
        a character's place in the block's text is its index less the leading spaces."""
        lead = len(value) - len(value.lstrip(" "))
        a, b = max(0, passage.start + lead), min(len(value), passage.end + lead)
        if a >= b or not value[a:b].strip():
            return None
        start, end = self.passage_words
        return (
            f'{_escaped(value[:a])}<mark class="passage" data-threads="{passage.thread_id}"'
            f' id="passage-{passage.thread_id}" data-start={self.quoted(start)}'
            f" data-end={self.quoted(end)}>{_escaped(value[a:b])}</mark>{_escaped(value[b:])}"
        )

    def _apply(self, elements: list[etree._Element], outside: etree._Element | None = None) -> None:
        """Mark and count the blocks, but for the count of ``outside``."""
        for element in elements:
            block_id = element.get("data-block") or ""
            if block_id in self.by_block:
                _mark_block(element, self.by_block[block_id], self.passage_words)
            count = self.counts.get(block_id)
            if count and element is not outside:
                _add_count(element, self._count_link(block_id, count, str(element.tag)))

    def _count_words(self, block_id: str, count: int, tag: str) -> tuple[str, str]:
        """What the count shows, and its name: which says which block it is about, as the
        Comment control's does."""
        if (count, tag) not in self.labels:
            self.labels[count, tag] = _count_labels(count, tag)
        shown, name = self.labels[count, tag]
        said = self.words.get(block_id, "")
        return shown, f"{name}: {said}" if said else name

    def _count_link(self, block_id: str, count: int, tag: str) -> etree._Element:
        shown, name = self._count_words(block_id, count, tag)
        return etree.Element(
            "a",
            {
                "class": "block-count",
                "href": f"?on={block_id}#comments-heading",
                "data-label": shown,
                "aria-label": name,
            },
        )

    def _count_html(self, block_id: str, count: int, tag: str) -> str:
        """``_count_link`` as lxml writes it (see ``_attribute``), for a plain block id."""
        shown, name = self._count_words(block_id, count, tag)
        return (
            f'<a class="block-count" href="?on={block_id}#comments-heading" '
            f"data-label={self.quoted(shown)} aria-label={_attribute(name)}></a>"
        )


def _attribute(value: str) -> str:
    """An attribute's value quoted as lxml (libxml2) writes it in HTML, so that the page is the
    same whichever way a mark was made: "&<>" escaped, in single quotes when it holds a double
    one, unless it holds both."""
    value = _escaped(value)
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', "&quot;") + '"'


def _parsed(html: str) -> etree._Element:
    """The HTML parsed into a wrapping ``div``: by lxml's own HTML parser, as lxml.html would,
    but without the Python element classes it looks up for every element."""
    wrapper = etree.fromstring(f"<div>{html}</div>", _PARSER).find("body/div")
    if wrapper is None:  # lxml puts a lone div in html/body, always
        raise ValueError("unexpected parse")
    return wrapper


def _tag_at(html: str, attribute: str, at: int, shape: re.Pattern[str], block_id: str) -> int:
    """Where the first start tag from ``at`` that carries ``attribute`` as ``shape`` has it
    begins; -1 if there is none."""
    found = html.find(attribute, at)
    while found >= 0:
        start = html.rfind("<", 0, found)
        written = shape.fullmatch(html, start, found) if start >= 0 else None
        if written is not None and written.group("id") == block_id:
            return start
        found = html.find(attribute, found + 1)
    return -1


def _element_end(html: str, start: int) -> int | None:
    """Where the element whose start tag begins at ``start`` ends, past its end tag."""
    depth = 0
    for match in _TAG.finditer(html, start):
        closing, tag = match.group(1), match.group(2).lower()
        if closing:
            depth -= 1
        elif tag not in _VOID and not match.group(0).endswith("/>"):
            depth += 1
        if depth <= 0:
            return match.end()
    return None


def _pieces(block: etree._Element) -> list[_Piece | None]:
    """The block's text runs in reading order; None stands for the space after a break."""
    out: list[_Piece | None] = []
    holder = block.tag in HOLDERS

    def walk(element: etree._Element) -> None:
        if element.text and isinstance(element.tag, str):
            out.append(_Piece(element, "text", element.text))
        for child in element:
            walked = isinstance(child.tag, str) and not is_furniture(child)
            if walked and not (holder and child.tag in NESTED):
                walk(child)
                if child.tag in BREAKS:
                    out.append(None)
            if child.tail:
                out.append(_Piece(child, "tail", child.tail))

    walk(block)
    return out


def _measure(pieces: list[_Piece | None]) -> None:
    """Give every run of a piece its position in the collapsed, trimmed text (as split.py
    counts): a word its first character's; a run of whitespace the position of the one space
    it collapses to (none at the start of the block; past the last word at its end)."""
    position = 0
    pending = False
    started = False
    for piece in pieces:
        if piece is None:
            pending = pending or started
            continue
        value = piece.value
        core = value.strip(" ")
        if core and not _IRREGULAR_SPACE.search(value):
            if value[0] == " ":
                pending = pending or started
            if pending:
                position += 1
                pending = False
            piece.offset = position - (len(value) - len(value.lstrip(" ")))
            position += len(core)
            started = True
            if value[-1] == " ":
                pending = True
            continue
        runs: list[tuple[int, int, int, bool]] = []
        add = runs.append
        end = 0  # where the last word ended: what lies between words is whitespace
        for match in _WORDS.finditer(value):
            first, last = match.span()
            if first > end:
                pending = pending or started
                add((end, first, position if started else -1, True))
            if pending:
                position += 1
                pending = False
            add((first, last, position, False))
            position += last - first
            started = True
            end = last
        if end < len(value):
            pending = pending or started
            add((end, len(value), position if started else -1, True))
        piece.runs = runs


def _span(piece: _Piece, lo: int, hi: int) -> tuple[int, int] | None:
    """The characters of the piece whose positions fall in ``lo:hi``, if any."""
    if piece.offset is not None:
        a, b = max(0, lo - piece.offset), min(len(piece.value), hi - piece.offset)
        return (a, b) if a < b else None
    first = last = -1
    for start, end, at, space in piece.runs:
        if space:
            inside = lo <= at < hi
            a, b = start, end
        else:
            a = start + max(lo, at) - at
            b = start + min(hi, at + end - start) - at
            inside = a < b
        if inside:
            if first < 0:
                first = a
            last = b
    return (first, last) if first >= 0 else None


@dataclass
class _Cut:
    """A mark to make: characters ``a:b`` of a piece, for the passages covering them."""

    a: int
    b: int
    covering: list[Passage]
    new: list[int]  # passages that start here: the first names the mark, the rest a target
    starts: bool = False  # the first mark of one of its passages
    ends: bool = False  # the last mark of one of its passages


def _plan(pieces: list[_Piece | None], passages: list[Passage]) -> list[tuple[_Piece, list[_Cut]]]:
    """Where the marks go in a block's pieces, measured already (``_measure``)."""
    bounds = sorted({p.start for p in passages} | {p.end for p in passages})
    intervals = []
    for lo, hi in pairwise(bounds):
        covering = [p for p in passages if p.start <= lo and hi <= p.end]
        if covering:
            intervals.append((lo, hi, covering))
    started: set[int] = set()
    plan: list[tuple[_Piece, list[_Cut]]] = []
    for piece in pieces:
        if piece is None or not piece.measured:
            continue
        if piece.element is not None:
            holder = piece.element if piece.attribute == "text" else piece.element.getparent()
            if holder is not None and holder.tag in _STRUCTURE:
                continue  # whitespace between a list's items or a table's rows: no place here
        cuts = []
        for lo, hi, covering in intervals:
            span = _span(piece, lo, hi)
            if span is not None and piece.value[span[0] : span[1]].strip():
                new = [p.thread_id for p in covering if p.thread_id not in started]
                started.update(new)
                cuts.append(_Cut(span[0], span[1], covering, new))
        if cuts:
            plan.append((piece, cuts))
    # Where each passage starts and ends, a screen reader says so (the words are CSS's).
    first: dict[int, _Cut] = {}
    last: dict[int, _Cut] = {}
    for _piece, cuts in plan:
        for cut in cuts:
            for passage in cut.covering:
                first.setdefault(passage.thread_id, cut)
                last[passage.thread_id] = cut
    for cut in first.values():
        cut.starts = True
    for cut in last.values():
        cut.ends = True
    return plan


def _mark_block(block: etree._Element, passages: list[Passage], words: tuple[str, str]) -> None:
    pieces = _pieces(block)
    _measure(pieces)
    for piece, cuts in _plan(pieces, passages):
        _wrap(piece, cuts, words)


def _passage_words() -> tuple[str, str]:
    return _("commented passage"), _("end of commented passage")


def _wrap(piece: _Piece, cuts: list[_Cut], words: tuple[str, str]) -> None:
    value = piece.value
    marks = []
    for index, cut in enumerate(cuts):
        mark = etree.Element("mark", {"class": "passage"})
        mark.set("data-threads", " ".join(str(p.thread_id) for p in cut.covering))
        if cut.new:
            mark.set("id", f"passage-{cut.new[0]}")
        if cut.starts:
            mark.set("data-start", words[0])
        if cut.ends:
            mark.set("data-end", words[1])
        mark.text = value[cut.a : cut.b]
        next_a = cuts[index + 1].a if index + 1 < len(cuts) else len(value)
        mark.tail = value[cut.b : next_a]
        marks.append((mark, cut.new[1:]))
    head = value[: cuts[0].a]
    if piece.element is None:
        raise ValueError("a piece read without parsing is written by _wrapped_text")
    if piece.attribute == "text":
        parent = piece.element
        parent.text = head
        at = 0
        for mark, others in marks:
            for thread_id in others:
                parent.insert(at, _target(thread_id))
                at += 1
            parent.insert(at, mark)
            at += 1
    else:
        anchor = piece.element
        anchor.tail = head
        for mark, others in marks:
            for thread_id in others:
                target = _target(thread_id)
                anchor.addnext(target)
                anchor = target
            anchor.addnext(mark)
            anchor = mark


def _wrapped_text(
    value: str,
    cuts: list[_Cut],
    words: tuple[str, str],
    quoted: Callable[[str], str] = lambda value: _attribute(value),
) -> str:
    """A block's whole text with its marks, as ``_wrap`` would make them and lxml write them."""
    out = [_escaped(value[: cuts[0].a])]
    for index, cut in enumerate(cuts):
        out += (
            f'<span id="passage-{thread_id}" class="passage-start"></span>'
            for thread_id in cut.new[1:]
        )
        threads = " ".join(str(p.thread_id) for p in cut.covering)
        opening = f'<mark class="passage" data-threads="{threads}"'
        if cut.new:
            opening += f' id="passage-{cut.new[0]}"'
        if cut.starts:
            opening += f" data-start={quoted(words[0])}"
        if cut.ends:
            opening += f" data-end={quoted(words[1])}"
        next_a = cuts[index + 1].a if index + 1 < len(cuts) else len(value)
        out += [opening, ">", _escaped(value[cut.a : cut.b]), "</mark>"]
        out.append(_escaped(value[cut.b : next_a]))
    return "".join(out)


def _escaped(text: str) -> str:
    """Text as lxml writes it in HTML: "&<>" escaped, quotes not."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _target(thread_id: int) -> etree._Element:
    """Where a link to a passage lands when another passage starts at the same word."""
    return etree.Element("span", {"id": f"passage-{thread_id}", "class": "passage-start"})


def _count_labels(count: int, tag: str) -> tuple[str, str]:
    """What a block's count shows ("2 comments") and what a screen reader hears."""
    words = ngettext("%(n)d comment", "%(n)d comments", count) % {"n": count}
    return words, _("%(words)s on this %(noun)s") % {"words": words, "noun": noun(tag)}


def _add_count(block: etree._Element, link: etree._Element) -> None:
    if block.tag in HOLDERS:
        control = block.find(f"a[@class='{CONTROL_CLASS}']")
        if control is not None:
            control.addnext(link)
        else:
            block.append(link)
        return
    tools = block.getnext()
    if tools is not None and tools.get("class") == TOOLS_CLASS:
        tools.append(link)
    else:
        holder = etree.Element("div", {"class": TOOLS_CLASS})
        holder.append(link)
        block.addnext(holder)
