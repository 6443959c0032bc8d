"""Time and memory of converting files that are too much to show, within their budget.

Run from the project root with the project's Python::

    .venv/bin/python bench/conversion_limits.py

Each file is built in memory (see tests/documents/large_inputs.py) and converted as a
worker does, in a child process under the configured memory and time limits
(``documents.conversion.isolated``). Every 20 ms the memory of this process and of every
process under it (the fork server and the conversion child) is read from /proc. Figures
go to stdout; progress to stderr. See bench/README.md.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from documents.conversion import ConversionError  # noqa: E402
from documents.conversion.isolated import convert_isolated  # noqa: E402
from documents.services.versions import conversion_budget, rendition_limits  # noqa: E402
from tests.documents import large_inputs  # noqa: E402

CASES: list[tuple[str, str, Callable[[], bytes]]] = [
    ("expanding_docx", "expanding.docx", large_inputs.expanding_docx),
    ("many_paragraphs_docx", "many.docx", large_inputs.many_paragraphs_docx),
    ("bloated_docx", "bloated.docx", large_inputs.bloated_docx),
    ("long_text", "long.txt", large_inputs.long_text),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _rss_kib(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.append(child)
            found.extend(_descendants(child))
    return found


class Sampler(threading.Thread):
    """The largest resident size seen of this process and of any process under it."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.own_kib = 0
        self.child_kib = 0
        self.running = True

    def run(self) -> None:
        me = os.getpid()
        while self.running:
            self.own_kib = max(self.own_kib, _rss_kib(me))
            for pid in _descendants(me):
                self.child_kib = max(self.child_kib, _rss_kib(pid))
            time.sleep(0.02)


def main() -> None:
    budget = conversion_budget()
    limits = rendition_limits()
    log(
        f"budget: {budget.max_memory_bytes // 2**20} MiB, {budget.timeout_seconds} s; "
        f"{limits.max_blocks:,} blocks, {limits.max_characters:,} characters"
    )
    # The fork server starts with the first conversion; start it first so it is not timed.
    convert_isolated(b"Warm.", "w.txt", max_bytes=100, limits=limits, budget=budget)
    for name, filename, build in CASES:
        data = build()
        log(f"{name}: {len(data) / 2**20:.1f} MiB")
        sampler = Sampler()
        sampler.start()
        started = time.perf_counter()
        try:
            convert_isolated(
                data,
                filename,
                max_bytes=settings.DOCUMENT_MAX_BYTES,
                limits=limits,
                budget=budget,
            )
            outcome = "converted"
        except ConversionError as error:
            outcome = str(error)
        seconds = time.perf_counter() - started
        sampler.running = False
        sampler.join()
        log(f"  {outcome}")
        print(f"{name}_upload_mib: {len(data) / 2**20:.1f}")
        print(f"{name}_seconds: {seconds:.1f}")
        print(f"{name}_child_peak_mib: {sampler.child_kib // 1024}")
        print(f"{name}_worker_peak_mib: {sampler.own_kib // 1024}")


if __name__ == "__main__":
    main()
