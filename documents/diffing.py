"""What changed between two versions of a document, block by block, for display.

Blocks are paired with ``blockmatch.match_blocks`` so that the diff and the re-anchored
comments agree about which paragraph became which. Within a changed block the words are
compared, and the result is HTML built only from escaped plain text: the block's own
(sanitised) HTML is never spliced, so markup in a document cannot reach the page through
here and every tag in the output is one of ours (``<ins>`` and ``<del>``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from documents.blockmatch import match_blocks
from documents.blocks import Block

ChangeKind = Literal["unchanged", "changed", "added", "removed"]


@dataclass(frozen=True)
class BlockChange:
    """One row of the diff. ``html`` is safe to insert into a page as it is."""

    kind: ChangeKind
    old: Block | None
    new: Block | None
    html: str


def diff_versions(old_blocks: Sequence[Block], new_blocks: Sequence[Block]) -> list[BlockChange]:
    """The changes in new-version order, each removed block shown where it used to be."""
    mapping = match_blocks(old_blocks, new_blocks)
    new_position = {block.id: j for j, block in enumerate(new_blocks)}
    old_for_new: dict[str, Block] = {}
    # Removed blocks are hung after the new counterpart of the nearest earlier surviving old
    # block (-1: before everything), so they appear where the reader last saw them.
    removed_after: dict[int, list[Block]] = {}
    last_position = -1
    for block in old_blocks:
        new_id = mapping.get(block.id)
        if new_id is None:
            removed_after.setdefault(last_position, []).append(block)
        else:
            old_for_new[new_id] = block
            last_position = new_position[new_id]

    changes = [_removed(block) for block in removed_after.get(-1, [])]
    for j, new in enumerate(new_blocks):
        old = old_for_new.get(new.id)
        if old is None:
            changes.append(BlockChange("added", None, new, _wrap("ins", new.text)))
        elif old.text == new.text and old.kind == new.kind:
            changes.append(BlockChange("unchanged", old, new, html.escape(new.text)))
        else:
            changes.append(BlockChange("changed", old, new, diff_words(old.text, new.text)))
        changes.extend(_removed(block) for block in removed_after.get(j, []))
    return changes


def diff_summary(changes: Sequence[BlockChange]) -> dict[str, int]:
    """How many blocks were added, removed, changed and left unchanged."""
    counts = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
    for change in changes:
        counts[change.kind] += 1
    return counts


# Words and single punctuation marks, each carrying the spaces before it, so that a changed
# comma does not mark the whole word beside it. Attaching the spaces matters for speed too:
# a bare " " token would occur at every other position, and SequenceMatcher slows down
# sharply on such popular tokens.
_TOKEN = re.compile(r"\s*\w+|\s*[^\w\s]|\s+")


def diff_words(old_text: str, new_text: str) -> str:
    """``new_text`` as escaped HTML with insertions in ``<ins>`` and deletions in ``<del>``."""
    old_tokens = _TOKEN.findall(old_text)
    new_tokens = _TOKEN.findall(new_text)
    matcher = SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    # (tag, old text, new text), tag being "equal" or "edit".
    segments: list[tuple[str, str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_part, new_part = "".join(old_tokens[i1:i2]), "".join(new_tokens[j1:j2])
        segments.append(("equal" if tag == "equal" else "edit", old_part, new_part))
    return "".join(_render(segment) for segment in _merge_edits(segments))


def _merge_edits(segments: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    # "<del>six</del><ins>eight</ins> <del>weeks</del><ins>months</ins>" is hard to read;
    # folding the lone space between two edits gives one deletion and one insertion.
    merged: list[tuple[str, str, str]] = []
    for i, segment in enumerate(segments):
        tag, old_part, new_part = segment
        between_edits = (
            tag == "equal"
            and not old_part.strip()
            and 0 < i < len(segments) - 1
            and merged
            and merged[-1][0] == "edit"
            and segments[i + 1][0] == "edit"
        )
        if between_edits:
            tag = "edit"
        if tag == "edit" and merged and merged[-1][0] == "edit":
            _tag, prev_old, prev_new = merged.pop()
            segment = ("edit", prev_old + old_part, prev_new + new_part)
        else:
            segment = (tag, old_part, new_part)
        merged.append(segment)
    return merged


def _render(segment: tuple[str, str, str]) -> str:
    tag, old_part, new_part = segment
    if tag == "equal":
        return html.escape(new_part)
    return (_wrap("del", old_part) if old_part else "") + (
        _wrap("ins", new_part) if new_part else ""
    )


def _wrap(tag: str, text: str) -> str:
    return f"<{tag}>{html.escape(text)}</{tag}>"


def _removed(block: Block) -> BlockChange:
    return BlockChange("removed", block, None, _wrap("del", block.text))
