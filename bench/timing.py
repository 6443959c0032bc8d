"""What the benchmarks share: timing a page through Django's test client, and the fixed page
every page benchmark divides by."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

WARM_UP = int(os.environ.get("BENCH_WARM_UP", "3"))
N = int(os.environ.get("BENCH_N", "30"))

# "Account and security" shows the same few lines to anyone, however many studies, documents,
# comments or contributions there are: the cost of a logged-in page (session, middleware, the
# user's unread count, the base layout) and nothing else, so ratios against it compare the
# page being measured with a constant.
MINIMAL_PAGE = "security"


def timed(client: Client, url: str) -> tuple[float, int, int]:
    """Median milliseconds of N GETs after a warm-up, the query count, the page size."""
    for _ in range(WARM_UP):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    query_count = len(queries)  # read now: the captured list is sliced lazily
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(N):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples), query_count, len(response.content)


def timed_with_minimal(
    client: Client, url: str, reference: Client, prepare: Callable[[], object] | None = None
) -> tuple[float, float]:
    """Median ms of ``url`` and of the minimal page, timed in turn, N times each: so that both
    see the same machine, whose speed may drift during a run (a shared virtual machine's
    does). ``prepare`` runs before each timing of ``url`` and is not timed (to empty the
    cache for a first load, say)."""
    minimal = reverse(MINIMAL_PAGE)
    for _ in range(WARM_UP):
        reference.get(minimal)
    page: list[float] = []
    baseline: list[float] = []

    def page_once() -> None:
        if prepare is not None:
            prepare()
        start = time.perf_counter()
        response = client.get(url)
        page.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)

    def minimal_once() -> None:
        start = time.perf_counter()
        response = reference.get(minimal)
        baseline.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (minimal, response.status_code)

    for turn in range(N):
        # Each goes first half of the time: what one leaves behind (in the processor's
        # caches, say) favours neither.
        for once in (page_once, minimal_once) if turn % 2 == 0 else (minimal_once, page_once):
            once()
    return statistics.median(page), statistics.median(baseline)


def minimal_page(client: Client) -> tuple[float, int, int]:
    """The fixed minimal logged-in page, timed like any other (see MINIMAL_PAGE)."""
    return timed(client, reverse(MINIMAL_PAGE))


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client
