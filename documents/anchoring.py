"""Where a comment points, and where it points in the next version.

An anchor is stored the way the W3C Web Annotation model describes it: the block id, a
TextQuoteSelector (the quoted words with a little text either side) and a
TextPositionSelector (offsets within the block's text). Block ids are only stable within a
version, so when a new version arrives every open comment is placed again by its words, not
its ids: first in the block that corresponds to the old one, then anywhere, then
approximately. A comment that cannot be placed is reported as "unplaced" so the page can list
it under "from earlier versions"; nothing here ever drops one.

Pure functions over ``Block`` lists: no database, so the same code serves the comment form,
the upload service and the benchmarks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from documents.blockmatch import BLOCK_MATCH_THRESHOLD, block_similarity, match_blocks
from documents.blocks import Block

if TYPE_CHECKING:
    from rapidfuzz.distance import ScoreAlignment

# 32 characters either side is what annotation clients (Hypothesis, Apache Annotator) keep:
# enough to tell repeated phrases apart, short enough to survive nearby edits.
CONTEXT_CHARS = 32
# Selectors come from the browser. These bound what one request can make us store or search.
MAX_QUOTE_CHARS = 10_000
MAX_CONTEXT_INPUT_CHARS = 1_000
MAX_OFFSET = 10_000_000

FUZZY_THRESHOLD = 0.8
# Below this, an approximate match of a quote is noise rather than evidence.
MIN_FUZZY_QUOTE_CHARS = 4
EXACT_SAME_BLOCK_CONFIDENCE = 1.0
EXACT_ELSEWHERE_CONFIDENCE = 0.95
EXACT_AMBIGUOUS_CONFIDENCE = 0.9
# A fuzzy match is never reported as certain, even when rounding says 100.
MAX_FUZZY_CONFIDENCE = 0.99
FUZZY_ELSEWHERE_CONTEXT = 0.5

QUOTE_SELECTOR = "TextQuoteSelector"
POSITION_SELECTOR = "TextPositionSelector"
_SELECTOR_KEYS = {
    QUOTE_SELECTOR: frozenset({"type", "exact", "prefix", "suffix"}),
    POSITION_SELECTOR: frozenset({"type", "start", "end"}),
}
_BLOCK_ID = re.compile(r"b[1-9][0-9]{0,6}")
_WORD = re.compile(r"\w+")
_MAX_FUZZY_CANDIDATES = 8

Method = Literal["exact", "fuzzy", "whole-document", "unplaced"]


class AnchorError(ValueError):
    """The anchor cannot be built or accepted; the message is fit to show a partner."""


@dataclass(frozen=True)
class Anchor:
    """A comment's target: the whole document, one block, or a passage within a block.

    ``block_id`` None means the whole document; ``exact`` "" means the whole block.
    ``start``/``end`` count characters of ``Block.text``; ``prefix``/``suffix`` hold up to
    ``CONTEXT_CHARS`` of the text around the passage.
    """

    block_id: str | None = None
    exact: str = ""
    prefix: str = ""
    suffix: str = ""
    start: int = 0
    end: int = 0

    def __post_init__(self) -> None:
        # Anchors are also rebuilt from stored rows; refuse shapes that would mean two things.
        if self.block_id is not None and not isinstance(self.block_id, str):
            raise AnchorError(_("The paragraph reference is not valid."))
        for value in (self.exact, self.prefix, self.suffix):
            if not isinstance(value, str):
                raise AnchorError(_("The quoted passage is not valid."))
        for offset in (self.start, self.end):
            if type(offset) is not int or offset < 0:
                raise AnchorError(_("The position of the passage is not valid."))
        if self.exact:
            if self.block_id is None:
                raise AnchorError(_("A quoted passage must belong to a paragraph."))
            if self.start >= self.end:
                raise AnchorError(_("The position of the passage is not valid."))
        elif self.prefix or self.suffix or self.start or self.end:
            raise AnchorError(_("A comment on a whole paragraph cannot have a position."))

    @property
    def is_whole_document(self) -> bool:
        return self.block_id is None

    @property
    def is_whole_block(self) -> bool:
        return self.block_id is not None and not self.exact


@dataclass(frozen=True)
class Placement:
    """Where an anchor from an older version lands in a newer one.

    For "unplaced", ``block_id`` and ``anchor`` are None and ``confidence`` is 0.
    """

    block_id: str | None
    anchor: Anchor | None
    method: Method
    confidence: float


# --- building and checking anchors --------------------------------------------------------


def anchor_from_selection(block: Block, start: int, end: int) -> Anchor:
    """The anchor for the characters ``start:end`` of ``block.text``."""
    for offset in (start, end):
        if type(offset) is not int:
            raise AnchorError(_("The position of the passage is not valid."))
    text = block.text
    if start == end:
        raise AnchorError(_("Nothing is selected. Select some words to comment on."))
    if not 0 <= start < end <= len(text):
        raise AnchorError(
            _("The selection is outside this paragraph. Select the words again and retry.")
        )
    # Browsers often include the space after a double-clicked word; it is not part of the
    # passage and would make the quote fragile.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise AnchorError(_("Nothing is selected. Select some words to comment on."))
    return _anchor_at(block, start, end)


def anchor_for_quote(
    block: Block, exact: str, prefix: str = "", suffix: str = "", *, near: int | None = None
) -> Anchor:
    """Find ``exact`` in the block, using the context (then ``near``) to choose a repeat."""
    for value in (exact, prefix, suffix):
        if not isinstance(value, str):
            raise AnchorError(_("The quoted passage is not valid."))
    if not exact.strip():
        raise AnchorError(_("Nothing is selected. Select some words to comment on."))
    positions = _find_all(block.text, exact)
    if not positions:
        raise AnchorError(
            _(
                "That passage is not in this paragraph. The document may have changed: "
                "reload the page and select the words again."
            )
        )
    start = _best_position(block.text, positions, exact, prefix, suffix, near)
    return _anchor_at(block, start, start + len(exact))


def anchor_verify(block: Block, anchor: Anchor) -> Anchor:
    """Check an anchor that arrived from the browser against the block it names.

    The quote is the authority; the position is only a hint, because browsers count in
    UTF-16 units and Python in code points, so offsets can drift on emoji and rare scripts.
    The returned anchor has offsets and context taken from the server's own text.
    """
    if anchor.block_id != block.id:
        raise AnchorError(_("That paragraph is not in this version of the document."))
    if anchor.is_whole_block:
        return Anchor(block_id=block.id)
    if block.text[anchor.start : anchor.end] == anchor.exact:
        return _anchor_at(block, anchor.start, anchor.end)
    return anchor_for_quote(block, anchor.exact, anchor.prefix, anchor.suffix, near=anchor.start)


# --- W3C selectors ------------------------------------------------------------------------


def to_selectors(anchor: Anchor) -> list[dict[str, Any]]:
    """The W3C selector list for an anchor; empty for a whole block or document."""
    if not anchor.exact:
        return []
    return [
        {
            "type": QUOTE_SELECTOR,
            "exact": anchor.exact,
            "prefix": anchor.prefix,
            "suffix": anchor.suffix,
        },
        {"type": POSITION_SELECTOR, "start": anchor.start, "end": anchor.end},
    ]


def from_selectors(block_id: str | None, selectors: object) -> Anchor:
    """Parse a block id and selector list as sent by the browser, refusing anything odd.

    A passage needs both selectors (the quote to find it again, the position to choose
    between repeats). Over-long context is cut to ``CONTEXT_CHARS`` since it is only a hint.
    The result is not yet checked against the text: pass it to ``anchor_verify``.
    """
    if block_id is None:
        if selectors:
            raise AnchorError(_("A comment on the whole document cannot quote a passage."))
        return Anchor()
    if not isinstance(block_id, str) or not _BLOCK_ID.fullmatch(block_id):
        raise AnchorError(_("The paragraph reference is not valid."))
    if not isinstance(selectors, list):
        raise AnchorError(_("The quoted passage is not valid."))
    if not selectors:
        return Anchor(block_id=block_id)
    by_type: dict[str, dict[str, Any]] = {}
    for selector in selectors:
        if not isinstance(selector, dict):
            raise AnchorError(_("The quoted passage is not valid."))
        kind = selector.get("type")
        if not isinstance(kind, str) or kind not in _SELECTOR_KEYS or kind in by_type:
            raise AnchorError(_("The quoted passage is not valid."))
        if not set(selector) <= _SELECTOR_KEYS[kind]:
            raise AnchorError(_("The quoted passage is not valid."))
        by_type[kind] = selector
    if set(by_type) != set(_SELECTOR_KEYS):
        raise AnchorError(_("The quoted passage is not valid."))
    quote, position = by_type[QUOTE_SELECTOR], by_type[POSITION_SELECTOR]
    exact = _clean_text(quote.get("exact"), MAX_QUOTE_CHARS)
    prefix = _clean_text(quote.get("prefix", ""), MAX_CONTEXT_INPUT_CHARS)
    suffix = _clean_text(quote.get("suffix", ""), MAX_CONTEXT_INPUT_CHARS)
    start = _clean_offset(position.get("start"))
    end = _clean_offset(position.get("end"))
    if not exact.strip():
        raise AnchorError(_("Nothing is selected. Select some words to comment on."))
    if start >= end:
        raise AnchorError(_("The position of the passage is not valid."))
    return Anchor(
        block_id=block_id,
        exact=exact,
        prefix=prefix[len(prefix) - CONTEXT_CHARS :] if len(prefix) > CONTEXT_CHARS else prefix,
        suffix=suffix[:CONTEXT_CHARS],
        start=start,
        end=end,
    )


def _clean_text(value: object, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise AnchorError(_("The quoted passage is not valid."))
    try:
        # Lone surrogates survive JSON decoding but not the database.
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise AnchorError(_("The quoted passage is not valid.")) from None
    return value


def _clean_offset(value: object) -> int:
    # type() rather than isinstance(): JSON true/false would otherwise pass as 1/0.
    if type(value) is not int or not 0 <= value <= MAX_OFFSET:
        raise AnchorError(_("The position of the passage is not valid."))
    return value


# --- re-anchoring -------------------------------------------------------------------------


def reanchor(
    anchor: Anchor,
    old_blocks: Sequence[Block],
    new_blocks: Sequence[Block],
    *,
    block_map: Mapping[str, str | None] | None = None,
) -> Placement:
    """Place one anchor from the old version into the new one.

    Pass ``block_map`` (from ``match_blocks``) when placing many anchors between the same
    two versions, or use ``reanchor_all``.
    """
    return _Reanchorer(old_blocks, new_blocks, block_map).place(anchor)


def reanchor_all(
    anchors: Iterable[Anchor], old_blocks: Sequence[Block], new_blocks: Sequence[Block]
) -> list[Placement]:
    """Place many anchors, matching the two versions' blocks only once."""
    reanchorer = _Reanchorer(old_blocks, new_blocks, None)
    return [reanchorer.place(anchor) for anchor in anchors]


_UNPLACED = Placement(block_id=None, anchor=None, method="unplaced", confidence=0.0)


class _Reanchorer:
    def __init__(
        self,
        old_blocks: Sequence[Block],
        new_blocks: Sequence[Block],
        block_map: Mapping[str, str | None] | None,
    ) -> None:
        self.old_index = {b.id: i for i, b in enumerate(old_blocks)}
        self.old_blocks = old_blocks
        self.new_blocks = new_blocks
        self.new_index = {b.id: i for i, b in enumerate(new_blocks)}
        self.new_texts = [b.text for b in new_blocks]
        # Built on first need: most versions re-anchor every comment exactly.
        self._word_index: dict[str, list[int]] | None = None
        self.block_map = (
            block_map if block_map is not None else match_blocks(old_blocks, new_blocks)
        )

    def place(self, anchor: Anchor) -> Placement:
        if anchor.block_id is None:
            return Placement(block_id=None, anchor=anchor, method="whole-document", confidence=1.0)
        old = self._old_block(anchor.block_id)
        same = self._same_block(anchor.block_id)
        if not anchor.exact:
            return self._place_whole_block(old, same)
        return (
            self._exact_in(same, anchor)
            or self._exact_elsewhere(same, anchor, old)
            or self._fuzzy(same, anchor, old)
            or _UNPLACED
        )

    def _old_block(self, block_id: str) -> Block | None:
        i = self.old_index.get(block_id)
        return None if i is None else self.old_blocks[i]

    def _same_block(self, old_id: str) -> Block | None:
        new_id = self.block_map.get(old_id)
        i = None if new_id is None else self.new_index.get(new_id)
        return None if i is None else self.new_blocks[i]

    def _place_whole_block(self, old: Block | None, same: Block | None) -> Placement:
        if old is None or same is None:
            return _UNPLACED
        if old.text == same.text:
            return Placement(same.id, Anchor(block_id=same.id), "exact", 1.0)
        similarity = block_similarity(old.text, same.text)
        if similarity < BLOCK_MATCH_THRESHOLD:
            return _UNPLACED
        return Placement(same.id, Anchor(block_id=same.id), "fuzzy", similarity)

    def _exact_in(self, block: Block | None, anchor: Anchor) -> Placement | None:
        if block is None:
            return None
        positions = _find_all(block.text, anchor.exact)
        if not positions:
            return None
        start = _best_position(
            block.text, positions, anchor.exact, anchor.prefix, anchor.suffix, anchor.start
        )
        new_anchor = _anchor_at(block, start, start + len(anchor.exact))
        return Placement(block.id, new_anchor, "exact", EXACT_SAME_BLOCK_CONFIDENCE)

    def _expected_index(self, old: Block | None) -> float:
        # Where the old block would sit in the new version if nothing had moved.
        if old is None or not self.old_blocks:
            return 0.0
        return self.old_index[old.id] * len(self.new_blocks) / len(self.old_blocks)

    def _exact_elsewhere(
        self, same: Block | None, anchor: Anchor, old: Block | None
    ) -> Placement | None:
        expected = self._expected_index(old)
        found: list[tuple[int, int, int]] = []  # (context score, block index, start)
        for i, text in enumerate(self.new_texts):
            if anchor.exact not in text or (same is not None and self.new_blocks[i] is same):
                continue
            for start in _find_all(text, anchor.exact):
                end = start + len(anchor.exact)
                score = _context_len(text, start, end, anchor.prefix, anchor.suffix)
                found.append((score, i, start))
        if not found:
            return None
        best_score = max(score for score, _i, _start in found)
        best = [(abs(i - expected), i, start) for score, i, start in found if score == best_score]
        _distance, i, start = min(best)
        block = self.new_blocks[i]
        confidence = EXACT_ELSEWHERE_CONFIDENCE if len(best) == 1 else EXACT_AMBIGUOUS_CONFIDENCE
        new_anchor = _anchor_at(block, start, start + len(anchor.exact))
        return Placement(block.id, new_anchor, "exact", confidence)

    def _fuzzy(self, same: Block | None, anchor: Anchor, old: Block | None) -> Placement | None:
        if len(anchor.exact.strip()) < MIN_FUZZY_QUOTE_CHARS:
            return None
        # The corresponding block is by far the likeliest home, as with exact matches; only
        # when the quote is not there is the rest of the document searched.
        if same is not None:
            score, start, end = _fuzzy_locate(anchor.exact, same.text)
            if score >= FUZZY_THRESHOLD:
                return self._fuzzy_placement(same, score, start, end)
        expected = self._expected_index(old)
        best_key: tuple[float, float, float] | None = None
        best: tuple[float, int, int, int] = (0.0, 0, 0, 0)  # (score, block index, start, end)
        for i in self._fuzzy_candidates(anchor.exact):
            block = self.new_blocks[i]
            if block is same:
                continue
            score, start, end = _fuzzy_locate(anchor.exact, block.text)
            if score < FUZZY_THRESHOLD:
                continue
            context = _context_similarity(block.text, start, end, anchor)
            # A short quote resembles many sentences; away from its own paragraph the words
            # around it must also look familiar before an approximate match is believed.
            if context < FUZZY_ELSEWHERE_CONTEXT:
                continue
            key = (score + 0.05 * context, score, -abs(i - expected))
            if best_key is None or key > best_key:
                best_key, best = key, (score, i, start, end)
        if best_key is None:
            return None
        score, i, start, end = best
        return self._fuzzy_placement(self.new_blocks[i], score, start, end)

    def _fuzzy_placement(self, block: Block, score: float, start: int, end: int) -> Placement:
        confidence = min(score, MAX_FUZZY_CONFIDENCE)
        return Placement(block.id, _anchor_at(block, start, end), "fuzzy", confidence)

    def _fuzzy_candidates(self, quote: str) -> list[int]:
        """The few blocks that share the most (and rarest) of the quote's words.

        Aligning a quote costs far more than a dictionary lookup, and a passage that is 80%
        alike by characters keeps most of its words, so blocks sharing under half of them are
        skipped and at most ``_MAX_FUZZY_CANDIDATES`` are aligned. That bounds the cost of a
        comment whose paragraph has gone, which otherwise grows with the document.
        """
        words = set(_WORD.findall(quote.lower()))
        if self._word_index is None:
            self._word_index = {}
            for i, text in enumerate(self.new_texts):
                for word in set(_WORD.findall(text.lower())):
                    self._word_index.setdefault(word, []).append(i)
        hits: dict[int, int] = {}
        weight: dict[int, float] = {}
        total = len(self.new_blocks)
        for word in words:
            postings = self._word_index.get(word, ())
            rarity = math.log((total + 1) / (len(postings) + 1)) + 1
            for i in postings:
                hits[i] = hits.get(i, 0) + 1
                weight[i] = weight.get(i, 0.0) + rarity
        needed = max(1, len(words) // 2)
        likely = sorted(
            (i for i, n in hits.items() if n >= needed), key=lambda i: (-round(weight[i], 9), i)
        )
        return likely[:_MAX_FUZZY_CANDIDATES]


# --- text helpers ---------------------------------------------------------------------------


def _anchor_at(block: Block, start: int, end: int) -> Anchor:
    text = block.text
    return Anchor(
        block_id=block.id,
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT_CHARS) : start],
        suffix=text[end : end + CONTEXT_CHARS],
        start=start,
        end=end,
    )


def _find_all(text: str, needle: str) -> list[int]:
    """Every start of ``needle`` in ``text``, overlapping ones included."""
    positions: list[int] = []
    if not needle:
        return positions
    i = text.find(needle)
    while i != -1:
        positions.append(i)
        i = text.find(needle, i + 1)
    return positions


def _common_prefix_len(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _context_len(text: str, start: int, end: int, prefix: str, suffix: str) -> int:
    """How many characters of the stored context agree with the text around start:end."""
    before = text[max(0, start - len(prefix)) : start]
    after = text[end : end + len(suffix)]
    return _common_prefix_len(before[::-1], prefix[::-1]) + _common_prefix_len(after, suffix)


def _best_position(
    text: str,
    positions: Sequence[int],
    exact: str,
    prefix: str,
    suffix: str,
    near: int | None,
) -> int:
    """The occurrence whose surroundings best match the context, then the nearest."""
    return max(
        positions,
        key=lambda p: (
            _context_len(text, p, p + len(exact), prefix, suffix),
            -abs(p - (near or 0)),
        ),
    )


def _context_similarity(text: str, start: int, end: int, anchor: Anchor) -> float:
    """0..1: how far the words around start:end agree with the anchor's stored context.

    Compared word by word, since character similarity rates any two English phrases as
    half alike. Only as many words as both sides have are compared, so a quote that now
    opens or closes a paragraph is judged on the side that still has context.
    """
    if not anchor.prefix and not anchor.suffix:
        # A quote that spanned its whole block: no context was lost, none can disagree.
        return 1.0
    prefix_words = anchor.prefix.split()
    if len(anchor.prefix) >= CONTEXT_CHARS and prefix_words:
        prefix_words = prefix_words[1:]  # cut mid-word when the context was taken
    suffix_words = anchor.suffix.split()
    if len(anchor.suffix) >= CONTEXT_CHARS and suffix_words:
        suffix_words = suffix_words[:-1]
    window = 4 * CONTEXT_CHARS
    before = text[max(0, start - window) : start].split()
    after = text[end : end + window].split()
    total = weight = 0.0
    n = min(len(prefix_words), len(before))
    if n:
        total += n * fuzz.ratio(prefix_words[-n:], before[-n:]) / 100
        weight += n
    n = min(len(suffix_words), len(after))
    if n:
        total += n * fuzz.ratio(suffix_words[:n], after[:n]) / 100
        weight += n
    return total / weight if weight else 0.5


def _fuzzy_locate(quote: str, text: str) -> tuple[float, int, int]:
    """The span of ``text`` most like ``quote``: (similarity 0..1, start, end)."""
    if not text.strip():
        return 0.0, 0, 0
    if len(text) <= len(quote):
        start, end = 0, len(text)
    else:
        # With no score cutoff there is always an alignment.
        alignment = cast("ScoreAlignment", fuzz.partial_ratio_alignment(quote, text))
        start, end = alignment.dest_start, alignment.dest_end
    return _refine_span(quote, text, start, end)


# Cap on boundary candidates examined either side, so refining stays cheap on long blocks.
_MAX_BOUNDARIES = 12


def _refine_span(quote: str, text: str, start: int, end: int) -> tuple[float, int, int]:
    # partial_ratio aligns a window exactly as long as the quote, so an edit that changes the
    # passage's length leaves the window cutting words. Try nearby word boundaries instead.
    slack = max(8, len(quote) // 4)
    starts = _nearby(start, _word_starts(text, start - slack, start + slack))
    ends = _nearby(end, _word_ends(text, end - slack, end + slack))
    best: tuple[float, int, int, int] | None = None
    for s in starts:
        for e in ends:
            if e <= s:
                continue
            score = fuzz.ratio(quote, text[s:e]) / 100
            key = (score, -(abs(s - start) + abs(e - end)), s, e)
            if best is None or key > best:
                best = key
    if best is None:
        return 0.0, 0, 0
    score, _distance, s, e = best
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return (score, s, e) if s < e else (0.0, 0, 0)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _word_starts(text: str, lo: int, hi: int) -> list[int]:
    # A passage may start at a word or at punctuation after a space, such as "(" or "“".
    return [
        i
        for i in range(max(0, lo), min(len(text) - 1, hi) + 1)
        if not text[i].isspace()
        and (i == 0 or text[i - 1].isspace() or (_is_word(text[i]) and not _is_word(text[i - 1])))
    ]


def _word_ends(text: str, lo: int, hi: int) -> list[int]:
    return [
        i
        for i in range(max(1, lo), min(len(text), hi) + 1)
        if not text[i - 1].isspace()
        and (
            i == len(text) or text[i].isspace() or (_is_word(text[i - 1]) and not _is_word(text[i]))
        )
    ]


def _nearby(origin: int, boundaries: list[int]) -> list[int]:
    chosen = sorted(boundaries, key=lambda b: abs(b - origin))[:_MAX_BOUNDARIES]
    return sorted({origin, *chosen})
