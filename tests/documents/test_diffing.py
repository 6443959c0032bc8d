from __future__ import annotations

from documents.blocks import Block
from documents.diffing import BlockChange, diff_summary, diff_versions, diff_words


def blocks(*items: tuple[str, str]) -> list[Block]:
    return [Block(f"b{i}", kind, text, "") for i, (kind, text) in enumerate(items, start=1)]


TITLE = ("h1", "Consent form")
ONE = ("li", "I confirm that I have read the information sheet dated 1 March 2026.")
TWO = ("li", "I understand that taking part is voluntary and I can withdraw at any time.")
THREE = ("li", "I agree to my interview being audio recorded.")
FOUR = ("li", "I agree to take part in the study.")


def kinds(changes: list[BlockChange]) -> list[tuple[str, str | None, str | None]]:
    return [(c.kind, c.old.id if c.old else None, c.new.id if c.new else None) for c in changes]


def test_identical_versions_are_all_unchanged() -> None:
    old = blocks(TITLE, ONE, TWO)
    changes = diff_versions(old, blocks(TITLE, ONE, TWO))
    assert kinds(changes) == [
        ("unchanged", "b1", "b1"),
        ("unchanged", "b2", "b2"),
        ("unchanged", "b3", "b3"),
    ]
    assert changes[1].html == ONE[1]


def test_changed_block_marks_inserted_and_deleted_words() -> None:
    edited = ("li", ONE[1].replace("1 March 2026", "15 April 2026"))
    changes = diff_versions(blocks(TITLE, ONE), blocks(TITLE, edited))
    assert changes[1].kind == "changed"
    assert changes[1].html == (
        "I confirm that I have read the information sheet dated"
        "<del> 1 March</del><ins> 15 April</ins> 2026."
    )


def test_pure_insertion_and_deletion_within_a_block() -> None:
    old = "I agree to my interview being audio recorded."
    new = "I agree to my interview being audio and video recorded."
    assert (
        diff_words(old, new) == "I agree to my interview being audio<ins> and video</ins> recorded."
    )
    assert (
        diff_words(new, old) == "I agree to my interview being audio<del> and video</del> recorded."
    )


def test_added_and_removed_blocks_appear_where_they_were() -> None:
    old = blocks(TITLE, ONE, TWO, THREE, FOUR)
    new = blocks(TITLE, ONE, THREE, ("li", "I agree to be contacted about future research."), FOUR)
    changes = diff_versions(old, new)
    assert kinds(changes) == [
        ("unchanged", "b1", "b1"),
        ("unchanged", "b2", "b2"),
        ("removed", "b3", None),
        ("unchanged", "b4", "b3"),
        ("added", None, "b4"),
        ("unchanged", "b5", "b5"),
    ]
    assert changes[2].html == f"<del>{TWO[1]}</del>"
    assert changes[4].html == "<ins>I agree to be contacted about future research.</ins>"
    assert diff_summary(changes) == {"added": 1, "removed": 1, "changed": 0, "unchanged": 4}


def test_removed_first_block_comes_first() -> None:
    changes = diff_versions(blocks(TITLE, ONE, TWO), blocks(ONE, TWO))
    assert kinds(changes)[0] == ("removed", "b1", None)


def test_changed_heading_level_is_a_change() -> None:
    changes = diff_versions(blocks(TITLE), blocks(("h2", "Consent form")))
    assert changes[0].kind == "changed"
    assert changes[0].html == "Consent form"


def test_text_is_escaped_everywhere() -> None:
    hostile = "<script>alert('x')</script> & <b>bold</b>"
    old = blocks(TITLE, ("p", "Plain words " + hostile), ("p", hostile))
    new = blocks(TITLE, ("p", "Plain new words " + hostile + " <img src=x onerror=alert(1)>"))
    changes = diff_versions(old, new)
    assert {c.kind for c in changes} == {"unchanged", "changed", "removed"}
    for change in changes:
        assert "<script>" not in change.html
        assert "<img" not in change.html
        assert "<b>" not in change.html
        stripped = (
            change.html.replace("<ins>", "")
            .replace("</ins>", "")
            .replace("<del>", "")
            .replace("</del>", "")
        )
        assert "<" not in stripped
        assert ">" not in stripped
    assert "&lt;script&gt;" in changes[1].html


def test_diff_uses_plain_text_not_block_html() -> None:
    old = [Block("b1", "p", "Read this.", "<a href='javascript:x'>Read</a> this.")]
    new = [Block("b1", "p", "Read this now.", "<a href='javascript:x'>Read</a> this now.")]
    change = diff_versions(old, new)[0]
    assert "javascript" not in change.html
    assert change.html == "Read this<ins> now</ins>."


def test_empty_versions() -> None:
    assert diff_versions([], []) == []
    changes = diff_versions([], blocks(TITLE))
    assert diff_summary(changes) == {"added": 1, "removed": 0, "changed": 0, "unchanged": 0}
