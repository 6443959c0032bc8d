"""Reading-ease figures for a lay reader, with textstat.

Headings, list items and table cells rarely end with a full stop, yet each is
a unit of reading on its own; so each block is measured as if it ended a
sentence. Pictures (alt text) and preformatted text (often code or tables of
figures) are left out.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import textstat

from documents.blocks import Block

LONGEST = 5
# Plain-English guidance asks for sentences of 25 words or fewer.
LONG_SENTENCE_WORDS = 25
SKIPPED_KINDS = {"img", "pre"}
# A sentence ends at . ! ? or … (perhaps followed by a closing quote or
# bracket) and a space, unless the next word starts in lower case ("e.g. the").
_SENTENCE_SPLIT = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)\]]))\s+(?![a-z])")
_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")


@dataclass(frozen=True)
class LongSentence:
    text: str
    words: int


@dataclass(frozen=True)
class Readability:
    flesch_reading_ease: float
    flesch_kincaid_grade: float
    word_count: int
    sentence_count: int
    average_sentence_length: float
    longest_sentences: list[LongSentence] = field(default_factory=list)
    long_sentence_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(blocks: list[Block]) -> Readability:
    """Figures for the text of ``blocks``; zeros when there is no text."""
    sentences = [
        sentence
        for block in blocks
        if block.kind not in SKIPPED_KINDS and block.text
        for sentence in split_sentences(block.text)
    ]
    if not sentences:
        return Readability(0.0, 0.0, 0, 0, 0.0, [])
    counted = [(sentence, textstat.lexicon_count(sentence)) for sentence in sentences]
    counted = [(sentence, words) for sentence, words in counted if words]
    words = sum(count for _, count in counted)
    text = " ".join(_closed(sentence) for sentence, _ in counted)
    longest = sorted(counted, key=lambda item: item[1], reverse=True)[:LONGEST]
    return Readability(
        flesch_reading_ease=round(float(textstat.flesch_reading_ease(text)), 1),
        flesch_kincaid_grade=round(float(textstat.flesch_kincaid_grade(text)), 1),
        word_count=words,
        sentence_count=len(counted),
        average_sentence_length=round(words / len(counted), 1) if counted else 0.0,
        longest_sentences=[LongSentence(text=s, words=n) for s, n in longest],
        long_sentence_count=sum(1 for _, n in counted if n > LONG_SENTENCE_WORDS),
    )


def split_sentences(text: str) -> list[str]:
    """Split on sentence-ending punctuation followed by a space."""
    return [part.strip() for part in _SENTENCE_SPLIT.split(text) if part.strip()]


def _closed(sentence: str) -> str:
    return sentence if _ENDS_SENTENCE.search(sentence) else sentence + "."
