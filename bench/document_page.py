"""How long the version page takes with a realistic review on it, against a plain page.

Run from the project root with the project's Python::

    .venv/bin/python bench/document_page.py

It builds everything in a throwaway test database (``test_…`` on PostgreSQL, in
memory on SQLite), so real data is never touched. Progress goes to stderr; the
figures go to stdout, the headline ratio last. See bench/README.md.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from timing import client_for, minimal_page, timed, timed_with_minimal  # noqa: E402

BLOCKS = 400
THREADS = 300
REPLIES = 150
RESPONSES = 150
PARTNERS = 20

TEXT = (
    "the study team will ask people about their daily routines and how their health affects "
    "sleep work family and time with friends we will use a short questionnaire at home and a "
    "follow up phone call after six weeks you can stop taking part at any time without giving "
    "a reason and this will not affect the care you receive from your doctor or nurse your "
    "answers are kept private and stored securely on university computers only the research "
    "team can see your name we may quote your words in reports but never with your name"
)
WORDS = TEXT.split()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sentence(rng: random.Random, low: int = 8, high: int = 22) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))


def markdown_document(rng: random.Random, blocks: int) -> str:
    """Headings, paragraphs and lists, with about ``blocks`` addressable blocks."""
    parts: list[str] = []
    count = 0
    section = 0
    while count < blocks:
        section += 1
        parts.append(f"## {section}. {sentence(rng, 3, 7)[:-1]}")
        count += 1
        for _ in range(rng.randint(3, 6)):
            parts.append(paragraph(rng))
            count += 1
        if section % 2 == 0:
            items = rng.randint(3, 5)
            parts.append("\n".join(f"- {sentence(rng, 5, 14)}" for _ in range(items)))
            count += items
    return "# Participant information sheet\n\n" + "\n\n".join(parts) + "\n"


def information_sheet(study: Any, by: Any, rng: random.Random) -> tuple[Any, list[Any]]:
    """A READY first version of a ~400-block information sheet, through the real converter."""
    from documents.blocks import texts_encoded
    from documents.conversion import convert
    from documents.models import Document, DocumentKind, Version, VersionStatus
    from documents.rendition import page_parts

    data = markdown_document(rng, BLOCKS - 1).encode()
    conversion = convert(data, "information-sheet.md", max_bytes=10 * 1024 * 1024)
    html, sections = page_parts(conversion.html, conversion.blocks)
    document = Document.objects.create(
        study=study,
        title="Participant information sheet",
        kind=DocumentKind.INFORMATION_SHEET,
        stage=study.stages.order_by("position").first(),
        created_by=by,
    )
    version = Version.objects.create(
        document=document,
        number=1,
        original_name="information-sheet.md",
        original_size=len(data),
        file_kind=conversion.kind,
        change_summary="First draft for partners to review.",
        uploaded_by=by,
        status=VersionStatus.READY,
        html=html,
        sections=sections,
        blocks=[block.to_dict() for block in conversion.blocks],
        texts=texts_encoded(conversion.blocks),
        readability=conversion.readability.to_dict(),
        warnings=list(conversion.warnings),
        converted_at=timezone.now(),
    )
    return version, conversion.blocks


def build(rng: random.Random) -> dict[str, object]:
    from documents.anchoring import Anchor, to_selectors
    from documents.models import (
        Comment,
        CommentDraft,
        Outcome,
        Response,
        ThreadState,
        Visibility,
    )
    from documents.services.rounds import round_open
    from engagement.services import study_create
    from portal.permissions import Role
    from tests.conftest import give_totp
    from tests.factories import MembershipFactory, UserFactory

    coordinator = UserFactory(display_name="Cora Coordinator")
    give_totp(coordinator)
    study = study_create(
        created_by=coordinator,
        title="Living well",
        lay_summary="About living well.",
        status="active",
    )
    researcher = MembershipFactory(study=study, role=Role.RESEARCHER).user
    partners = [MembershipFactory(study=study, role=Role.PARTNER).user for _ in range(PARTNERS)]

    version, blocks = information_sheet(study, coordinator, rng)
    now = timezone.now()
    review_round = round_open(
        version=version,
        partners=None,
        opens_at=now - dt.timedelta(days=2),
        deadline=now + dt.timedelta(days=12),
        instructions="Please tell us what is unclear.",
        independent=False,
        created_by=coordinator,
    )

    # Threads: 45% on a passage, 35% on a whole block, 20% on the whole document.
    authors = partners * 3 + [researcher, coordinator]
    threads = []
    for _ in range(THREADS):
        author = rng.choice(authors)
        kind = rng.random()
        block_id, selectors, quote = "", [], ""
        if kind < 0.8:
            block = rng.choice(blocks)
            block_id = block.id
            if kind < 0.45 and len(block.text) > 40:
                start = rng.randrange(0, len(block.text) - 30)
                end = min(len(block.text), start + rng.randint(10, 80))
                anchor = Anchor(
                    block_id=block.id,
                    exact=block.text[start:end],
                    prefix=block.text[max(0, start - 32) : start],
                    suffix=block.text[end : end + 32],
                    start=start,
                    end=end,
                )
                selectors, quote = to_selectors(anchor), anchor.exact
        threads.append(
            Comment(
                version=version,
                round=review_round if author in partners else None,
                author=author,
                body="\n\n".join(paragraph(rng) for _ in range(rng.randint(1, 3))),
                block_id=block_id,
                selectors=selectors,
                quote=quote,
                visibility=Visibility.TEAM if rng.random() < 0.1 else Visibility.MEMBERS,
            )
        )
    threads = Comment.objects.bulk_create(threads)

    Comment.objects.bulk_create(
        Comment(
            version=version,
            round=review_round,
            parent=parent,
            author=rng.choice([researcher, coordinator, *partners]),
            body=paragraph(rng),
        )
        for parent in (rng.choice(threads) for _ in range(REPLIES))
    )

    answered = rng.sample(threads, RESPONSES)
    outcomes = list(Outcome.values)
    responses = []
    for thread in answered:
        outcome = rng.choice(outcomes)
        responses.append(
            Response(
                comment=thread,
                outcome=outcome,
                body=paragraph(rng),
                reason=sentence(rng) if outcome == Outcome.NOT_CHANGED else "",
                author=researcher,
                published_at=now,
            )
        )
    Response.objects.bulk_create(responses)
    Comment.objects.filter(pk__in=[t.pk for t in answered]).update(state=ThreadState.ANSWERED)

    partner = partners[0]
    CommentDraft.objects.create(
        author=partner, version=version, key="comment", body="Half-written thought"
    )
    log(
        f"built: {len(blocks)} blocks, {len(threads)} threads, {REPLIES} replies, "
        f"{RESPONSES} responses, {PARTNERS} partners, html {len(version.html) // 1024} KiB"
    )
    return {
        "partner": partner,
        "coordinator": coordinator,
        "url": reverse(
            "version_detail",
            kwargs={
                "study_id": study.pk,
                "document_id": version.document_id,
                "number": version.number,
            },
        ),
    }


def main() -> int:
    started = time.perf_counter()
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    try:
        log(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        built = build(random.Random(20240601))
        url = str(built["url"])
        partner = client_for(built["partner"])
        coordinator = client_for(built["coordinator"])

        partner_ms, partner_q, partner_size = timed(partner, url)
        log(f"partner: {partner_ms:.1f} ms, {partner_q} queries, {partner_size // 1024} KiB")
        coordinator_ms, coordinator_q, coordinator_size = timed(coordinator, url)
        log(
            f"coordinator: {coordinator_ms:.1f} ms, {coordinator_q} queries, "
            f"{coordinator_size // 1024} KiB"
        )
        # The ratios: each page timed in turn with the minimal page, for the same partner.
        partner_ms, baseline_ms = timed_with_minimal(partner, url, partner)
        coordinator_ms, coordinator_baseline_ms = timed_with_minimal(coordinator, url, partner)
        # A first load: nothing kept (the test settings' local-memory cache holds the rendered
        # threads, the places and threads read, the marked page and the blocks' text).
        cold_ms, cold_baseline_ms = timed_with_minimal(coordinator, url, partner, cache.clear)
        log(
            f"minimal page: {baseline_ms:.1f} ms (partner runs), "
            f"{coordinator_baseline_ms:.1f} (coordinator runs), "
            f"{cold_baseline_ms:.1f} (first-load runs)"
        )
        baseline_ms_alone, baseline_q, _size = minimal_page(partner)
        log(f"minimal page alone: {baseline_ms_alone:.1f} ms, {baseline_q} queries")

        document_ms = max(partner_ms, coordinator_ms)
        ratio = max(partner_ms / baseline_ms, coordinator_ms / coordinator_baseline_ms)
        print(f"document_page_partner_ms: {partner_ms:.1f}")
        print(f"document_page_coordinator_ms: {coordinator_ms:.1f}")
        print(f"document_page_partner_kib: {partner_size / 1024:.0f}")
        print(f"document_page_coordinator_kib: {coordinator_size / 1024:.0f}")
        print(f"document_page_queries: {max(partner_q, coordinator_q)}")
        print(f"document_page_first_load_ms: {cold_ms:.1f}")
        print(f"document_page_ms: {document_ms:.1f}")
        print(f"baseline_page_ms: {baseline_ms:.1f}")
        print(f"document_page_first_load_ratio: {cold_ms / cold_baseline_ms:.2f}")
        print(f"document_page_ratio: {ratio:.2f}")
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            for _ in range(20):
                partner.get(url)
            profile.disable()
            stats = pstats.Stats(profile, stream=sys.stderr)
            stats.sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
            stats.print_stats(os.environ.get("BENCH_FILTER", ""), 45)
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
        log(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
