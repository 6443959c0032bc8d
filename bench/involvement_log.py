"""How long a partner's involvement log takes to print with 100 and with 1,000 contributions.

Run from the project root with the project's Python::

    .venv/bin/python bench/involvement_log.py

It builds everything in a throwaway test database (``test_…`` on PostgreSQL; on SQLite a
file in a temporary folder, since the printing runs in another process), so real data is
never touched; the printed files go to a temporary MEDIA_ROOT. Each log goes through the
real code path (``log_request`` then ``log_build``: the content is read, the template
rendered and printed by WeasyPrint, the file stored) in a fresh child process, whose peak
resident memory is read when it ends. Progress goes to stderr; the figures go to stdout,
the headline growth last. See bench/README.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")
# The stored PDFs never land in the real media folder; a child process inherits the folder.
MEDIA_MADE = "BENCH_MEDIA_ROOT" not in os.environ
if MEDIA_MADE:
    os.environ["BENCH_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-logs-")
os.environ["MEDIA_ROOT"] = os.environ["BENCH_MEDIA_ROOT"]

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)
from django.utils import timezone  # noqa: E402

SIZES = (100, 1_000)
COMMENTS_PER_CONTRIBUTION = 0.5
STUDIES = 2
DOCUMENTS_PER_STUDY = 3
VERSIONS_PER_DOCUMENT = 3
PERIOD = (dt.date(2023, 1, 1), dt.date(2024, 12, 31))

DID = (
    "Read the draft participant information sheet and marked the parts that were hard to follow.",
    "Joined the steering group meeting and spoke about how people with long-term conditions "
    "would feel about the number of visits.",
    "Went through the consent form line by line with the researcher over the phone.",
    "Helped run a workshop with eight carers about what the study should measure.",
    "Tried out the online questionnaire on a phone and a tablet and wrote down where it went "
    "wrong.",
    "Reviewed the lay summary for the funding application and suggested plainer words.",
    "Co-analysed a set of anonymised interview transcripts with two researchers.",
    "Spoke at the community centre open day about why the study matters to local families.",
    "Took part in training on research ethics and what public involvement means in practice.",
    "Checked the topic guide for the interviews and added questions about transport and cost.",
    "Wrote a short piece for the newsletter about taking part as a public partner.",
    "Gave feedback on the recruitment poster, its pictures and where it should be put up.",
)
DID_MORE = (
    "It took longer than planned because the document had changed since the last meeting.",
    "I also asked how the results would be shared with the people who took part.",
    "We agreed to look at it again once the ethics committee had replied.",
    "Two other partners joined for the second half.",
    "I raised the point that some people do not have internet at home.",
    "",
    "",
)
CHANGED = (
    "The team rewrote the section on risks in plain English and added a short summary box.",
    "The number of clinic visits was cut from six to four, with two done by phone instead.",
    "The questionnaire now has larger buttons and can be saved and finished later.",
    "A question about travel costs was added to the interview topic guide.",
    "The poster was reprinted with a clearer photo and a phone number, not only an email.",
    "The study will now offer a paper version of every form on request.",
    "The lay summary in the final application used most of the suggested wording.",
)
SAID = (
    "This sentence is very long and I had to read it three times to understand it.",
    "I am not sure people will know what 'randomised' means here; could it be explained?",
    "It would help to say how long each visit takes and whether parking is free.",
    "The word 'withdraw' sounds alarming; 'stop taking part' is kinder.",
    "Please say who to contact if something goes wrong, with a phone number.",
    "This part reads well, but the table after it is hard to follow on a small screen.",
    "Can carers come along to the appointments? The sheet does not say.",
    "I think the payment for time should be mentioned earlier, not on the last page.",
)
QUOTES = (
    "Participants will be randomised to one of two arms of the trial.",
    "You are free to withdraw at any time without giving a reason.",
    "Each visit will last approximately 90 minutes.",
    "Data will be pseudonymised and retained for a period of ten years.",
    "Reasonable travel expenses will be reimbursed.",
    "",
    "",
)
ANSWERS = {
    "changed": "Thank you: we rewrote this part as you suggested and it is in the new version.",
    "partly_changed": "We shortened the sentence and explained the term, though some of the "
    "wording has to stay as the ethics committee approved it.",
    "not_changed": "We kept this as it is for now.",
    "no_change_needed": "Thank you for checking this; we agree it reads clearly as it is.",
}
OUTCOMES = ["changed"] * 2 + ["partly_changed"] * 3 + ["not_changed"] * 2 + ["no_change_needed"] * 5


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build() -> dict[str, Any]:
    """Two studies with documents, and one partner per size with that many contributions."""
    from documents.models import (
        Comment,
        Document,
        DocumentKind,
        Response,
        ThreadState,
        Version,
        VersionStatus,
    )
    from engagement.models import (
        ActivityType,
        Contribution,
        ContributionState,
        ImpactStandard,
        Membership,
        Stage,
    )
    from engagement.services import study_create
    from portal.accounts.models import Profile, User
    from portal.permissions import Role

    rng = random.Random(20250701)
    coordinator = User.objects.create_user("lead@example.org", display_name="Cora Coordinator")
    Profile.objects.create(user=coordinator)
    studies = [
        study_create(
            created_by=coordinator,
            title=title,
            lay_summary="About living well with a long-term condition.",
            status="active",
        )
        for title in (
            "Better sleep for people living with chronic pain",
            "Getting home safely after a hip fracture",
        )[:STUDIES]
    ]
    stages = {
        study.pk: list(
            Stage.objects.filter(study=study).order_by("position").values_list("pk", flat=True)
        )
        for study in studies
    }
    versions: dict[int, list[list[Version]]] = {}
    for study in studies:
        documents = Document.objects.bulk_create(
            Document(study=study, title=title, kind=kind, created_by=coordinator)
            for title, kind in (
                ("Participant information sheet", DocumentKind.INFORMATION_SHEET),
                ("Consent form", DocumentKind.CONSENT_FORM),
                ("Interview topic guide", DocumentKind.TOPIC_GUIDE),
            )[:DOCUMENTS_PER_STUDY]
        )
        made = Version.objects.bulk_create(
            Version(
                document=document,
                number=number,
                original=f"documents/{study.pk}/{document.pk}/v{number}.bin",
                original_name="sheet.md",
                file_kind="md",
                uploaded_by=coordinator,
                status=VersionStatus.READY,
                html='<p data-block="b1">You can stop taking part at any time.</p>',
                blocks=[],
                converted_at=timezone.now(),
            )
            for document in documents
            for number in range(1, VERSIONS_PER_DOCUMENT + 1)
        )
        versions[study.pk] = [
            [v for v in made if v.document_id == document.pk] for document in documents
        ]

    next_version = {
        (v.document_id, v.number - 1): v
        for by_document in versions.values()
        for document in by_document
        for v in document
    }
    activity = list(ActivityType.values)
    standards = list(ImpactStandard.values)
    days = (PERIOD[1] - PERIOD[0]).days
    partners = {}
    for size in SIZES:
        partner = User.objects.create_user(
            f"partner{size}@example.org", display_name=f"Pat Partner-{size}"
        )
        Profile.objects.create(user=partner)
        Membership.objects.bulk_create(
            Membership(user=partner, study=study, role=Role.PARTNER, joined_on=PERIOD[0])
            for study in studies
        )
        rows = []
        for n in range(size):
            study = studies[n % len(studies)]
            paid = rng.random() < 0.6
            what_changed = rng.choice(CHANGED) if rng.random() < 0.6 else ""
            rows.append(
                Contribution(
                    partner=partner,
                    study=study,
                    stage_id=rng.choice(stages[study.pk][:6]),
                    activity_type=rng.choice(activity),
                    activity_date=PERIOD[0] + dt.timedelta(days=rng.randrange(days)),
                    minutes=rng.choice([30, 45, 60, 90, 120, 180]),
                    what_they_did=f"{rng.choice(DID)} {rng.choice(DID_MORE)}".strip(),
                    what_changed=what_changed,
                    impact_standards=rng.sample(standards, rng.randint(0, 3)),
                    state=ContributionState.PAID if paid else ContributionState.APPROVED,
                    entered_by=coordinator if rng.random() < 0.1 else None,
                    decided_by=coordinator,
                    decided_at=timezone.now(),
                    payment_due="25.00" if paid else None,
                    paid_on=PERIOD[1] if paid else None,
                )
            )
        Contribution.objects.bulk_create(rows, batch_size=1000)

        comments = []
        for n in range(int(size * COMMENTS_PER_CONTRIBUTION)):
            study = studies[n % len(studies)]
            document = rng.choice(versions[study.pk])
            version = rng.choice(document[:-1])  # comments on every version but the newest
            quote = rng.choice(QUOTES)
            comments.append(
                Comment(
                    version=version,
                    author=partner,
                    body=" ".join(rng.sample(SAID, rng.randint(1, 3))),
                    quote=quote,
                    block_id="b1" if quote else "",
                    state=ThreadState.ANSWERED,
                )
            )
        comments = Comment.objects.bulk_create(comments, batch_size=1000)
        for comment in comments:  # created_at is set on insert; spread them afterwards
            comment.created_at = timezone.make_aware(
                dt.datetime.combine(
                    PERIOD[0] + dt.timedelta(days=rng.randrange(days)), dt.time(10, 30)
                )
            )
        Comment.objects.bulk_update(comments, ["created_at"], batch_size=1000)
        responses = []
        for comment in comments:
            outcome = rng.choice(OUTCOMES)
            newer = next_version[(comment.version.document_id, comment.version.number)]
            responses.append(
                Response(
                    comment=comment,
                    outcome=outcome,
                    body=ANSWERS[outcome],
                    reason="The wording is set by the sponsor." if outcome == "not_changed" else "",
                    changed_in=newer if outcome == "changed" else None,
                    author=coordinator,
                    published_at=comment.created_at + dt.timedelta(days=7),
                )
            )
        Response.objects.bulk_create(responses, batch_size=1000)
        partners[size] = partner.pk
        log(f"built partner with {size} contributions and {len(comments)} comments")
    return {"partners": partners, "study_ids": tuple(study.pk for study in studies)}


def _peak_mib() -> float:
    """This process's peak resident memory so far (VmHWM, else the rusage maximum)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def _render(database: str, holder_id: int, study_ids: tuple[int, ...], results: Any) -> None:
    """In a fresh process: request and build one log as the partner would, and report."""
    from portal.accounts.models import User
    from portal.home.logs.content import LogScope
    from portal.home.logs.services import log_build, log_request
    from portal.home.printing import pdf_problem

    connection.settings_dict["NAME"] = database
    settings.DATABASES["default"]["NAME"] = database
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per page
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    try:
        # WeasyPrint is loaded once per worker, not per log: load it before the clock starts.
        problem = pdf_problem()
        holder = User.objects.get(pk=holder_id)
        start, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(count):
            scope = LogScope(holder=holder, start=PERIOD[0], end=PERIOD[1], study_ids=study_ids)
            built = log_build(log_request(scope=scope, by=holder))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    except Exception as error:
        results.put({"error": repr(error)})
        raise
    results.put(
        {
            "seconds": elapsed,
            "cpu_seconds": cpu,
            "state": built.state,
            "failure": built.failure or problem or "",
            "pages": built.pages,
            "entries": built.entries,
            "bytes": built.file.size if built.file else 0,
            "queries": queries,
            "peak_mib": _peak_mib(),
        }
    )


def render_in_child(holder_id: int, study_ids: tuple[int, ...]) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(
        target=_render,
        args=(connection.settings_dict["NAME"], holder_id, study_ids, results),
    )
    child.start()
    result = results.get()
    child.join()
    assert "error" not in result, result["error"]
    assert child.exitcode == 0, child.exitcode
    # Cross-check: the largest peak of any child waited for so far, in KiB on Linux.
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["children_peak_mib"] = children / 1024 / (1024 if sys.platform == "darwin" else 1)
    return result


def main() -> int:
    started = time.perf_counter()
    if connection.vendor == "sqlite":  # the child must see the same database: use a file
        test = settings.DATABASES["default"].setdefault("TEST", {})
        test["NAME"] = str(Path(os.environ["MEDIA_ROOT"]) / "bench.sqlite3")
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    figures: dict[int, dict[str, Any]] = {}
    try:
        log(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
        built = build()
        log(f"built in {time.perf_counter() - started:.1f} s")
        connection.close()  # nothing held open while the children read
        for size in SIZES:
            result = render_in_child(built["partners"][size], built["study_ids"])
            figures[size] = result
            log(
                f"log of {size} contributions: {result['seconds']:.2f} s "
                f"({result['cpu_seconds']:.2f} s of CPU), {result['state']}, "
                f"{result['pages']} pages, {result['entries']} entries, "
                f"{result['bytes'] // 1024} KiB, {result['queries']} queries, "
                f"peak {result['peak_mib']:.0f} MiB "
                f"(children so far {result['children_peak_mib']:.0f} MiB)"
            )
            assert result["state"] == "ready", result["failure"]
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
        if MEDIA_MADE:
            shutil.rmtree(os.environ["MEDIA_ROOT"], ignore_errors=True)
        log(f"total {time.perf_counter() - started:.1f} s")
    small, large = figures[SIZES[0]], figures[SIZES[1]]
    print(f"log_100_s: {small['seconds']:.2f}")
    print(f"log_1000_s: {large['seconds']:.2f}")
    print(f"log_1000_pages: {large['pages']}")
    print(f"log_1000_peak_mib: {large['peak_mib']:.0f}")
    print(f"log_growth: {large['seconds'] / small['seconds']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
