"""Which block of a new version corresponds to which block of the old one.

Block ids are only stable within a version, so the diff and the re-anchoring of comments
both pair blocks by their text: unchanged runs first, then edited blocks near where they
were, then moved ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from rapidfuzz import fuzz

from documents.blocks import Block

BLOCK_MATCH_THRESHOLD = 0.6

# Replaced regions are compared pair by pair only near where each block "should" be, and
# moved blocks only while the leftovers are few: without these bounds one wholesale rewrite
# of a long document costs minutes instead of milliseconds.
_REGION_BAND = 25
_MAX_LEFTOVER_PAIRS = 20_000
_WORD = re.compile(r"\w+")


def match_blocks(old_blocks: Sequence[Block], new_blocks: Sequence[Block]) -> dict[str, str | None]:
    """Map each old block id to the id of the corresponding new block, or None if removed."""
    pairs = _BlockMatcher(old_blocks, new_blocks).pairs()
    return {
        block.id: (new_blocks[pairs[i]].id if i in pairs else None)
        for i, block in enumerate(old_blocks)
    }


def block_similarity(a: str, b: str) -> float:
    """0..1 likeness of two block texts, word by word, ignoring case and punctuation."""
    vocabulary: dict[str, int] = {}
    return fuzz.ratio(_word_ids(a, vocabulary), _word_ids(b, vocabulary)) / 100


def _word_ids(text: str, vocabulary: dict[str, int]) -> list[int]:
    # Comparing words rather than characters is ~15x cheaper on long blocks and is closer
    # to what a reader means by "the same paragraph, edited".
    return [vocabulary.setdefault(w, len(vocabulary)) for w in _WORD.findall(text.lower())]


class _BlockMatcher:
    def __init__(self, old_blocks: Sequence[Block], new_blocks: Sequence[Block]) -> None:
        self.old_texts = [b.text for b in old_blocks]
        self.new_texts = [b.text for b in new_blocks]
        vocabulary: dict[str, int] = {}
        self.old_words = [_word_ids(t, vocabulary) for t in self.old_texts]
        self.new_words = [_word_ids(t, vocabulary) for t in self.new_texts]
        self.matched: dict[int, int] = {}
        self.taken: set[int] = set()

    def pairs(self) -> dict[int, int]:
        # Most of a new version is untouched: SequenceMatcher pairs those runs in near-linear
        # time, leaving only the edited regions for similarity scoring. autojunk would treat
        # common texts (empty image captions, "Yes" cells) as noise and misalign them.
        matcher = SequenceMatcher(None, self.old_texts, self.new_texts, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                    self._pair(i, j)
            elif tag == "replace":
                self._pair_region(list(range(i1, i2)), list(range(j1, j2)))
        self._pair_moved()
        return self.matched

    def _pair(self, i: int, j: int) -> None:
        self.matched[i] = j
        self.taken.add(j)

    def _similarity(self, i: int, j: int, cutoff: float) -> float:
        return fuzz.ratio(self.old_words[i], self.new_words[j], score_cutoff=cutoff * 100) / 100

    def _pair_region(self, old_idx: list[int], new_idx: list[int]) -> None:
        # A region where every paragraph was lightly edited is the common large case; the
        # block at the same relative place settles it in one comparison each.
        for a, i in enumerate(old_idx):
            j = new_idx[a * len(new_idx) // len(old_idx)]
            if j not in self.taken and self._similarity(i, j, 0.8):
                self._pair(i, j)
        old_left = [i for i in old_idx if i not in self.matched]
        new_left = [j for j in new_idx if j not in self.taken]
        self._pair_greedily(old_left, new_left, band=_REGION_BAND)

    def _pair_moved(self) -> None:
        # What is still unpaired may have moved (and perhaps been edited): identical texts
        # first, so a moved paragraph is not mistaken for a similar one, then by similarity.
        old_left = [i for i in range(len(self.old_texts)) if i not in self.matched]
        free: dict[str, list[int]] = {}
        for j in range(len(self.new_texts)):
            if j not in self.taken:
                free.setdefault(self.new_texts[j], []).append(j)
        for i in old_left:
            same = free.get(self.old_texts[i])
            if same:
                self._pair(i, same.pop(0))
        old_left = [i for i in old_left if i not in self.matched]
        new_left = [j for j in range(len(self.new_texts)) if j not in self.taken]
        if len(old_left) * len(new_left) <= _MAX_LEFTOVER_PAIRS:
            self._pair_greedily(old_left, new_left, band=None)

    def _pair_greedily(self, old_idx: list[int], new_idx: list[int], band: int | None) -> None:
        """Pair the most similar blocks first, each block at most once."""
        if not old_idx or not new_idx:
            return
        candidates: list[tuple[float, float, int, int]] = []
        for a, i in enumerate(old_idx):
            centre = a * len(new_idx) // len(old_idx)
            lo, hi = (0, len(new_idx)) if band is None else (centre - band, centre + band + 1)
            for b in range(max(0, lo), min(len(new_idx), hi)):
                j = new_idx[b]
                score = self._similarity(i, j, BLOCK_MATCH_THRESHOLD)
                if score:
                    # Among equal scores prefer the pair whose places line up.
                    drift = abs(a / len(old_idx) - b / len(new_idx))
                    candidates.append((-score, drift, i, j))
        candidates.sort()
        for _score, _drift, i, j in candidates:
            if i not in self.matched and j not in self.taken:
                self._pair(i, j)
