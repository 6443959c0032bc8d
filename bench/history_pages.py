"""How long the involvement history pages take with a busy portal, against a plain page.

Run from the project root with the project's Python::

    .venv/bin/python bench/history_pages.py

It builds everything in a throwaway test database (``test_…`` on PostgreSQL, in memory on
SQLite), so real data is never touched. Progress goes to stderr; the figures go to stdout,
the headline ratio last. See bench/README.md.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)
from django.urls import NoReverseMatch, reverse  # noqa: E402
from timing import client_for, minimal_page, timed  # noqa: E402

STUDIES = int(os.environ.get("BENCH_STUDIES", "50"))
PARTNERS = int(os.environ.get("BENCH_PARTNERS", "300"))
CONTRIBUTIONS = int(os.environ.get("BENCH_CONTRIBUTIONS", "20000"))
STUDIES_PER_PARTNER = (2, 6)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build(rng: random.Random) -> dict[str, object]:
    from engagement.models import (
        ActivityType,
        Contribution,
        ContributionState,
        Membership,
        Stage,
        Study,
    )
    from engagement.services import study_create
    from portal.accounts.models import Profile, User
    from portal.permissions import Role
    from tests.conftest import give_totp
    from tests.factories import UserFactory

    coordinator = UserFactory(display_name="Cora Coordinator")
    give_totp(coordinator)
    # Every study is the coordinator's (a PPIE lead running them all), with its 8 stages.
    studies: list[Study] = [
        study_create(
            created_by=coordinator,
            title=f"Study {n:02} about living well",
            lay_summary="About living well.",
            status="active",
        )
        for n in range(STUDIES)
    ]
    stages: dict[int, list[int]] = {}
    for stage_id, study_id in Stage.objects.order_by("position").values_list("pk", "study_id"):
        stages.setdefault(study_id, []).append(stage_id)

    # The partner who logs in (for the partner's own timeline) is a full user; the rest
    # are made in bulk, without password hashing.
    first = UserFactory(display_name="Pat Partner")
    others = [
        User(email=f"partner{n}@example.org", display_name=f"Partner {n:03}")
        for n in range(1, PARTNERS)
    ]
    for user in others:
        user.set_unusable_password()
    others = User.objects.bulk_create(others)
    Profile.objects.bulk_create(Profile(user=user) for user in others)
    partners = [first, *others]
    joined = dt.date(2021, 1, 1)
    memberships = []
    partner_studies: dict[int, list[int]] = {}
    for partner in partners:
        chosen = rng.sample(studies, rng.randint(*STUDIES_PER_PARTNER))
        partner_studies[partner.pk] = [study.pk for study in chosen]
        memberships.extend(
            Membership(user=partner, study=study, role=Role.PARTNER, joined_on=joined)
            for study in chosen
        )
    Membership.objects.bulk_create(memberships)

    activity = list(ActivityType.values)
    states = [
        ContributionState.SUBMITTED,
        ContributionState.APPROVED,
        ContributionState.APPROVED,
        ContributionState.PAID,
        ContributionState.PAID,
        ContributionState.PAID,
        ContributionState.DRAFT,
        ContributionState.RETURNED,
    ]
    start = dt.date(2022, 1, 1)
    rows = []
    for _ in range(CONTRIBUTIONS):
        partner = rng.choice(partners)
        study_id = rng.choice(partner_studies[partner.pk])
        state = rng.choice(states)
        rows.append(
            Contribution(
                partner=partner,
                study_id=study_id,
                stage_id=rng.choice(stages[study_id][:6]),
                activity_type=rng.choice(activity),
                activity_date=start + dt.timedelta(days=rng.randrange(0, 3 * 365)),
                minutes=rng.choice([30, 45, 60, 90, 120, 180, 240]),
                what_they_did="Read the draft and sent comments about the wording.",
                state=state,
                returned_reason="Please add the date." if state == "returned" else "",
            )
        )
    Contribution.objects.bulk_create(rows, batch_size=2000)

    # The busiest study and the busiest partner of it: the worst pages a coordinator opens.
    from django.db.models import Count

    study_id = (
        Contribution.objects.values("study_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["study_id"]
    )
    partner_id = (
        Contribution.objects.filter(study_id=study_id)
        .values("partner_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["partner_id"]
    )
    log(
        f"built: {STUDIES} studies, {PARTNERS} partners, {len(memberships)} partner "
        f"memberships, {Contribution.objects.count()} contributions; study {study_id} has "
        f"{Contribution.objects.filter(study_id=study_id).count()}"
    )
    return {
        "coordinator": coordinator,
        "partner": first,
        "study_url": reverse("study_involvement", kwargs={"study_id": study_id}),
        "partner_url": reverse(
            "partner_involvement", kwargs={"study_id": study_id, "user_id": partner_id}
        ),
        "first_partner_study": partner_studies[first.pk][0],
    }


def main() -> int:
    started = time.perf_counter()
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    try:
        log(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        built = build(random.Random(20250601))
        log(f"built in {time.perf_counter() - started:.1f} s")
        coordinator = client_for(built["coordinator"])
        partner = client_for(built["partner"])

        study_ms, study_q, study_size = timed(coordinator, str(built["study_url"]))
        log(f"study history: {study_ms:.1f} ms, {study_q} queries, {study_size // 1024} KiB")

        try:
            timeline_url = reverse("my_involvement")
            timeline_client, timeline_what = partner, "the partner's own timeline (my_involvement)"
        except NoReverseMatch:
            timeline_url = str(built["partner_url"])
            timeline_client, timeline_what = coordinator, "the partner across studies page"
        timeline_ms, timeline_q, timeline_size = timed(timeline_client, timeline_url)
        log(
            f"partner timeline, {timeline_what}: {timeline_ms:.1f} ms, {timeline_q} queries, "
            f"{timeline_size // 1024} KiB"
        )
        across_ms, across_q, _size = timed(coordinator, str(built["partner_url"]))
        log(f"partner across studies (coordinator): {across_ms:.1f} ms, {across_q} queries")

        baseline_ms, baseline_q, _size = minimal_page(partner)
        log(f"minimal page (partner): {baseline_ms:.1f} ms, {baseline_q} queries")

        print(f"study_history_ms: {study_ms:.1f}")
        print(f"study_history_queries: {study_q}")
        print(f"partner_timeline_ms: {timeline_ms:.1f}")
        print(f"partner_timeline_queries: {timeline_q}")
        print(f"partner_across_studies_ms: {across_ms:.1f}")
        print(f"baseline_page_ms: {baseline_ms:.1f}")
        print(f"history_ratio: {max(study_ms, timeline_ms) / baseline_ms:.2f}")
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
        log(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
