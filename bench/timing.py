"""What the benchmarks share: timing a page through Django's test client."""

from __future__ import annotations

import os
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

WARM_UP = int(os.environ.get("BENCH_WARM_UP", "3"))
N = int(os.environ.get("BENCH_N", "30"))


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


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client
