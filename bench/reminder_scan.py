"""How long the reminder scan takes over 1,000 and 10,000 open review assignments.

Run from the project root with the project's Python::

    .venv/bin/python bench/reminder_scan.py

It builds everything in a throwaway test database (``test_…`` on PostgreSQL, in memory on
SQLite), so real data is never touched. Each scan goes through the real code path: the
rounds and assignments are read, one notification per partner is recorded with its email
built (subject, text and HTML), then every one is claimed and delivered to Django's
in-memory mail backend, as a worker would. Progress goes to stderr; the figures go to
stdout, the headline growth last. See bench/README.md.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django  # noqa: E402

django.setup()

from django.core import mail  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)
from django.utils import timezone  # noqa: E402

ROUNDS = 100
STUDIES = 10
SIZES = (1_000, 10_000)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build(assignments: int, tag: str) -> None:
    """ROUNDS open rounds across STUDIES studies, ``assignments`` partners asked in all."""
    from documents.models import Assignment, ReviewRound, VersionStatus
    from documents.services.versions import document_create, version_convert
    from engagement.models import Membership
    from engagement.services import study_create
    from portal.accounts.models import Profile, User
    from portal.permissions import Role

    per_round = assignments // ROUNDS
    coordinator = User.objects.create_user(f"lead-{tag}@example.org", display_name="Lead")
    Profile.objects.create(user=coordinator)
    partners = User.objects.bulk_create(
        User(email=f"partner-{tag}-{n}@example.org", display_name=f"Partner {n}")
        for n in range(per_round)
    )
    Profile.objects.bulk_create(Profile(user=p) for p in partners)
    now = timezone.now()
    for s in range(STUDIES):
        study = study_create(
            created_by=coordinator,
            title=f"Study {tag}-{s}",
            lay_summary="A study.",
            status="active",
        )
        Membership.objects.bulk_create(
            Membership(study=study, user=p, role=Role.PARTNER) for p in partners
        )
        version = document_create(
            study=study,
            title=f"Information sheet {s}",
            kind="information_sheet",
            stage=None,
            data=b"# Information sheet\n\nYou can stop at any time.\n",
            filename="sheet.md",
            change_summary="",
            created_by=coordinator,
        )
        version_convert(version_id=version.pk)
        version.refresh_from_db()
        assert version.status == VersionStatus.READY
        for _ in range(ROUNDS // STUDIES):
            review_round = ReviewRound.objects.create(
                version=version,
                opens_at=now - dt.timedelta(minutes=5),
                deadline=now + dt.timedelta(days=10),
                instructions="Please read it all.",
                created_by=coordinator,
            )
            Assignment.objects.bulk_create(
                Assignment(round=review_round, partner=p) for p in partners
            )


def scan() -> tuple[float, int, int]:
    """Seconds for one scan with delivery, the scan's own queries, the emails sent."""
    from documents.reminders import rounds_scan

    mail.outbox = []
    start = time.perf_counter()
    with transaction.atomic():  # delivery is queued when the scan's work commits
        with CaptureQueriesContext(connection) as queries:
            rounds_scan()
        scan_queries = sum(1 for q in queries.captured_queries if q["sql"].startswith("SELECT"))
    elapsed = time.perf_counter() - start
    return elapsed, scan_queries, len(mail.outbox)


def clear() -> None:
    from documents.models import ReviewRound
    from portal.notifications.models import Notification

    Notification.objects.all().delete()
    ReviewRound.objects.all().delete()


def main() -> int:
    started = time.perf_counter()
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    figures: dict[int, tuple[float, int, int]] = {}
    try:
        log(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        for size in SIZES:
            clear()
            build(size, str(size))
            log(f"built {size} assignments in {time.perf_counter() - started:.1f} s")
            figures[size] = scan()
            log(f"scanned {size}: {figures[size][0]:.2f} s, {figures[size][2]} emails")
            assert figures[size][2] == size, "every partner gets one email"
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
        log(f"total {time.perf_counter() - started:.1f} s")
    small, large = figures[SIZES[0]], figures[SIZES[1]]
    print(f"scan_1000_s: {small[0]:.2f}")
    print(f"scan_10000_s: {large[0]:.2f}")
    print(f"scan_queries: {max(small[1], large[1])}")
    print(f"scan_growth: {large[0] / small[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
