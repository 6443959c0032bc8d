"""Files within the upload and zip limits that are too much to show as a page.

Each conversion runs in a child process under a memory and a time limit, and the page
itself has limits on blocks and characters: past any of them the person is told the true
reason (too large or complex), never that the file is damaged, and the worker carries on.
The large files are built here at run time (tests/documents/large_inputs.py).
"""

from __future__ import annotations

import resource
import time
from typing import Any

import pytest

from documents.conversion import ConversionError, RenditionLimits, TooLargeError, convert
from documents.conversion.errors import FAILED, TOO_LARGE
from documents.conversion.isolated import Budget, convert_isolated
from tests.documents import large_inputs
from tests.documents.conversion_helpers import MAX, fixture

LIMITS = RenditionLimits()
BUDGET = Budget()


def _isolated(data: bytes, name: str, *, limits: RenditionLimits = LIMITS, **budget: Any) -> Any:
    return convert_isolated(data, name, max_bytes=MAX, limits=limits, budget=Budget(**budget))


def _peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def test_a_small_document_converts_in_the_child_with_its_figures() -> None:
    conversion, outcome = _isolated(fixture("docx/tables.docx"), "tables.docx")

    assert any(block.kind == "td" for block in conversion.blocks)
    assert 0 < outcome.seconds < BUDGET.timeout_seconds
    assert outcome.peak_memory_bytes is not None
    assert outcome.peak_memory_bytes < BUDGET.max_memory_bytes


def test_a_damaged_file_is_still_called_damaged() -> None:
    with pytest.raises(ConversionError) as raised:
        _isolated(fixture("hostile/truncated.docx"), "truncated.docx")

    assert not isinstance(raised.value, TooLargeError)
    assert str(raised.value).startswith("This Word document seems to be damaged")


@pytest.mark.slow
def test_a_19_mb_text_file_is_too_large_to_show_and_says_why() -> None:
    data = large_inputs.long_text(19)
    started = time.perf_counter()

    with pytest.raises(TooLargeError) as raised:
        _isolated(data, "notes.txt")

    # Bounds on time leave room for a busy machine; before, these took minutes.
    assert time.perf_counter() - started < 30
    message = str(raised.value)
    assert message.startswith(TOO_LARGE)
    assert "characters of text; the most we show is 1,000,000" in message
    assert "damaged" not in message


@pytest.mark.slow
def test_a_word_document_whose_xml_expands_to_100_mb_is_refused_in_seconds() -> None:
    data = large_inputs.expanding_docx(95)
    assert len(data) < MAX

    started = time.perf_counter()
    with pytest.raises(TooLargeError) as raised:
        _isolated(data, "protocol.docx")

    assert time.perf_counter() - started < 60
    assert "paragraphs, headings, list items and table cells" in str(raised.value)


@pytest.mark.slow
def test_a_few_mb_word_document_of_400_000_paragraphs_is_refused_before_it_is_laid_out() -> None:
    data = large_inputs.many_paragraphs_docx(400_000)
    assert len(data) < 3 * 1024 * 1024

    started = time.perf_counter()
    with pytest.raises(TooLargeError, match="about 400,000 paragraphs"):
        _isolated(data, "protocol.docx")

    assert time.perf_counter() - started < 60


@pytest.mark.slow
def test_a_conversion_past_its_memory_is_stopped_and_the_worker_is_untouched() -> None:
    # Little text but millions of formatted runs: mammoth alone would need gigabytes.
    data = large_inputs.bloated_docx(30)
    before = _peak_mib()

    with pytest.raises(TooLargeError) as raised:
        _isolated(data, "bloated.docx", max_memory_bytes=400 * 1024 * 1024)

    assert str(raised.value).startswith(TOO_LARGE)
    # The child took the memory, not this process.
    assert _peak_mib() - before < 100
    conversion, _outcome = _isolated(fixture("docx/tables.docx"), "tables.docx")
    assert conversion.blocks


@pytest.mark.slow
def test_a_conversion_past_its_time_is_stopped() -> None:
    data = large_inputs.many_paragraphs_docx(15_000)
    unlimited = RenditionLimits(max_blocks=100_000)
    started = time.perf_counter()

    with pytest.raises(TooLargeError) as raised:
        _isolated(data, "slow.docx", limits=unlimited, timeout_seconds=0.5)

    assert time.perf_counter() - started < 10
    assert str(raised.value).startswith(TOO_LARGE)


def test_a_library_failure_in_the_child_is_reported_plainly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from documents.conversion import isolated

    sent: list[Any] = []

    class Pipe:
        def send(self, answer: Any) -> None:
            sent.append(answer)

        def close(self) -> None:
            pass

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("library bug")

    # Run the child's body here, without capping this process's memory.
    monkeypatch.setattr(isolated.resource, "setrlimit", lambda *args: None)
    monkeypatch.setattr(isolated, "convert", crash)
    isolated._convert_in_child(Pipe(), b"x", "x.txt", MAX, LIMITS, BUDGET)

    [(status, detail, _peak)] = sent
    assert (status, detail) == ("failed", "RuntimeError: library bug")
    assert FAILED.startswith("Something in this file stopped us")


# The page's own limits, in-process.


def test_a_document_with_more_blocks_than_allowed_is_refused_with_the_count() -> None:
    data = "\n\n".join(f"Paragraph {n}." for n in range(1, 6)).encode()

    with pytest.raises(TooLargeError) as raised:
        convert(data, "five.md", max_bytes=MAX, limits=RenditionLimits(max_blocks=4))

    assert "It has about 5 paragraphs, headings, list items and table cells; the most we " in str(
        raised.value
    )


def test_a_document_with_more_text_than_allowed_is_refused() -> None:
    data = ("word " * 300).encode()

    with pytest.raises(TooLargeError, match="characters of text; the most we show is 1,000"):
        convert(data, "words.txt", max_bytes=MAX, limits=RenditionLimits(max_characters=1_000))


def test_a_word_document_past_the_limits_is_refused_before_it_is_converted() -> None:
    data = large_inputs.many_paragraphs_docx(3_000)

    with pytest.raises(TooLargeError, match="about 3,000 paragraphs"):
        convert(data, "many.docx", max_bytes=MAX, limits=RenditionLimits(max_blocks=1_000))


def test_a_document_just_within_the_limits_converts() -> None:
    data = "\n\n".join(f"Paragraph {n}." for n in range(1, 6)).encode()

    conversion = convert(data, "five.md", max_bytes=MAX, limits=RenditionLimits(max_blocks=5))

    assert len(conversion.blocks) == 5


def test_the_conversion_child_loads_neither_django_nor_celery() -> None:
    # What the fork server preloads is all a child has: it must stay light, and can never
    # touch the database.
    import subprocess
    import sys

    code = (
        "import sys, documents.conversion.isolated; "
        "print(sorted({'django', 'celery'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.strip() == "[]"


def test_a_fork_server_killed_from_outside_is_started_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import os
    import signal
    from pathlib import Path

    _isolated(b"First.", "first.txt")
    me = os.getpid()
    children = [
        int(pid)
        for task in Path(f"/proc/{me}/task").iterdir()
        for pid in (task / "children").read_text().split()
    ]
    servers = [
        pid
        for pid in children
        if b"billiard.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert servers
    for pid in servers:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

    conversion, _outcome = _isolated(b"Second.", "second.txt")

    assert conversion.blocks[0].text == "Second."
    assert "fork server was gone" in caplog.text
