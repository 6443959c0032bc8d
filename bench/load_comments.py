"""Fifty partners commenting on one document at once, against the site as it runs in production.

Run from the project root with the project's Python, PostgreSQL and Redis reachable::

    .venv/bin/python bench/load_comments.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ppie_bench_load \\
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/load_comments.py

It makes a throwaway database (``test_<NAME>``), a study with a 400-block document open for
review by 50 partners, then starts the site under gunicorn (4 workers) with Redis as cache and
broker and a Celery worker, and drives the partners from an asyncio HTTP client on this
machine for ``BENCH_LOAD_SECONDS`` (60): each logs in, loads the version page, saves drafts
as it types, sends comments on passages and replies, and reloads. Then it counts what was
stored. Everything it started is stopped, and the database dropped, however it ends.
Progress goes to stderr; the figures to stdout, ``lost_comments`` last. See bench/README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ppie_bench_load")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

PARTNERS = int(os.environ.get("BENCH_PARTNERS", "50"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
BLOCKS = 400
WORKERS = 4
PASSWORD = "load-bench-password-2026"  # noqa: S105 - a throwaway database's accounts
REQUEST_TIMEOUT = 30.0
# A brisk partner: a few seconds on the page before acting, and four words typed in two to
# four seconds (60 to 120 words a minute, faster than most), each pause saving a draft as the
# page does. BENCH_PACE scales both (0.5 is twice as fast).
PACE = float(os.environ.get("BENCH_PACE", "1"))
READING = (2.0 * PACE, 5.0 * PACE)
TYPING = (2.0 * PACE, 4.0 * PACE)
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_THREAD = re.compile(r'id="thread-(\d+)"')


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the data ------------------------------------------------------------------------------


def build(rng: random.Random) -> dict[str, Any]:
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from document_page import information_sheet  # the same document as that bench

    from documents.services.rounds import round_open
    from engagement.services import study_create
    from portal.accounts.models import Profile, User
    from portal.permissions import Role
    from tests.conftest import give_totp
    from tests.factories import MembershipFactory, UserFactory

    coordinator = UserFactory(display_name="Cora Coordinator")
    give_totp(coordinator)
    study = study_create(
        created_by=coordinator, title="Living well", lay_summary="About it.", status="active"
    )
    partners = [MembershipFactory(study=study, role=Role.PARTNER).user for _ in range(PARTNERS)]
    # Hashed as the site checks it (the test settings' quick hasher is not among its own);
    # one hash for all, since it is the same throwaway password.
    hashed = PBKDF2PasswordHasher().encode(PASSWORD, "loadbenchsalt")
    User.objects.filter(pk__in=[p.pk for p in partners]).update(password=hashed)
    Profile.objects.filter(user__in=partners).update(welcomed_at=timezone.now())
    version, blocks = information_sheet(study, coordinator, rng)
    now = timezone.now()
    round_open(
        version=version,
        partners=None,
        opens_at=now - timezone.timedelta(hours=1),
        deadline=now + timezone.timedelta(days=14),
        instructions="Please tell us what is unclear.",
        independent=False,
        created_by=coordinator,
    )
    kwargs = {"study_id": study.pk, "document_id": version.document_id, "number": 1}
    return {
        "emails": [p.email for p in partners],
        "partner_ids": [p.pk for p in partners],
        "blocks": [(b.id, b.text) for b in blocks if len(b.text) > 60],
        "page": reverse("version_detail", kwargs=kwargs),
        "create": reverse("comment_create", kwargs=kwargs),
        "draft": reverse("comment_draft", kwargs=kwargs),
        "reply_base": reverse("comment_reply", kwargs={"study_id": study.pk, "comment_id": 1}),
        "version_id": version.pk,
    }


# --- the site ------------------------------------------------------------------------------


def site_env(database_url: str, var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SETTINGS")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=database_url,
        REDIS_URL=os.environ["REDIS_URL"],
        CELERY_BROKER_URL=os.environ["REDIS_URL"],
        SECRET_KEY=settings.SECRET_KEY or "load-bench-secret-key-0123456789-abcdefghijklmnop",
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS="127.0.0.1",
        # The load tool stands for a proxy in front of fifty people's own addresses, so the
        # login limits count each person's address, as they would in production.
        BEHIND_PROXY="true",
        VAR_DIR=str(var),
        MEDIA_ROOT=str(var / "media"),
        EMAIL_FILE_PATH=str(var / "mail"),
    )
    return env


@contextlib.contextmanager
def running_site(database_url: str) -> Any:
    """gunicorn with 4 workers and a Celery worker, stopped however the block ends."""
    with tempfile.TemporaryDirectory(prefix="ppie-load-") as folder:
        var = Path(folder)
        env = site_env(database_url, var)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
            env=env,
            check=True,
            timeout=300,
        )
        port = free_port()
        logs = (var / "gunicorn.log").open("w"), (var / "worker.log").open("w")
        processes = [
            subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "portal.wsgi",
                    "--workers",
                    str(WORKERS),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--timeout",
                    "60",
                ],
                env=env,
                stdout=logs[0],
                stderr=subprocess.STDOUT,
            ),
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "warning",
                    "--without-gossip",
                    "--without-mingle",
                ],
                env=env,
                stdout=logs[1],
                stderr=subprocess.STDOUT,
            ),
        ]
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/help/partners/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        "gunicorn did not start:\n" + (var / "gunicorn.log").read_text()
                    )
                time.sleep(0.3)
            yield base, var
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
            for handle in logs:
                handle.close()
            errors = [
                line
                for line in (var / "gunicorn.log").read_text().splitlines()
                if "Traceback" in line or "Error" in line
            ]
            if errors:
                log("gunicorn said:\n  " + "\n  ".join(errors[:20]))


# --- the partners --------------------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    errors: int = 0
    posted: int = 0
    page_ms: list[float] = field(default_factory=list)
    post_ms: list[float] = field(default_factory=list)
    login_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def timed(
    tally: Tally, bucket: list[float], call: Any, *args: Any, **kwargs: Any
) -> httpx.Response | None:
    started = time.perf_counter()
    tally.requests += 1
    try:
        response: httpx.Response = await call(*args, **kwargs)
    except httpx.HTTPError as error:
        tally.errors += 1
        tally.problems.append(f"{type(error).__name__} on {args[0] if args else '?'}")
        return None
    bucket.append((time.perf_counter() - started) * 1000)
    if response.status_code >= 400:
        tally.errors += 1
        tally.problems.append(f"{response.status_code} on {response.request.url.path}")
    return response


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    return match.group(1) if match else ""


async def partner(
    base: str, email: str, built: dict[str, Any], tally: Tally, seed: int, until: float
) -> None:
    rng = random.Random(seed)
    # Addresses from TEST-NET-3 (RFC 5737): documentation only, never routed anywhere.
    address = {"X-Forwarded-For": f"203.0.113.{seed % 250 + 1}"}
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, headers=address) as client:
        # People arrive over the first half minute; each login is a deliberately slow
        # password check (PBKDF2, a million rounds), about a second of one core.
        await asyncio.sleep(rng.uniform(0, min(30.0, SECONDS / 2)))
        form = await timed(tally, tally.page_ms, client.get, "/accounts/login/")
        if form is None:
            return
        done = await timed(
            tally,
            tally.login_ms,
            client.post,
            "/accounts/login/",
            data={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": csrf_of(form.text)},
        )
        if done is None or done.status_code != 302:
            tally.problems.append(f"login failed for {email}")
            return
        while time.monotonic() < until:
            page = await timed(tally, tally.page_ms, client.get, built["page"])
            if page is None or page.status_code != 200:
                await asyncio.sleep(1)
                continue
            token = csrf_of(page.text)
            threads = _THREAD.findall(page.text)
            await asyncio.sleep(rng.uniform(*READING))
            if threads and rng.random() < 0.35:
                await reply(client, built, tally, rng, token, int(rng.choice(threads)))
            else:
                await comment(client, built, tally, rng, token)
            await asyncio.sleep(rng.uniform(*READING))


async def typing(
    client: httpx.AsyncClient,
    built: dict[str, Any],
    tally: Tally,
    rng: random.Random,
    fields: dict[str, str],
    words: str,
) -> None:
    """Drafts saved every few words, as the page does while someone types."""
    parts = words.split()
    for end in range(4, len(parts) + 4, 4):
        await timed(
            tally,
            tally.post_ms,
            client.post,
            built["draft"],
            data={**fields, "body": " ".join(parts[:end])},
            headers={"X-Requested-With": "XMLHttpRequest"},
        )
        await asyncio.sleep(rng.uniform(*TYPING))


async def comment(
    client: httpx.AsyncClient, built: dict[str, Any], tally: Tally, rng: random.Random, token: str
) -> None:
    block_id, text = rng.choice(built["blocks"])
    start = rng.randrange(0, len(text) - 40)
    end = start + rng.randint(10, 35)
    while end < len(text) and text[end - 1] == " ":
        end += 1
    exact = text[start:end].strip()
    start = text.index(exact, start)
    end = start + len(exact)
    selectors = [
        {
            "type": "TextQuoteSelector",
            "exact": exact,
            "prefix": text[max(0, start - 32) : start],
            "suffix": text[end : end + 32],
        },
        {"type": "TextPositionSelector", "start": start, "end": end},
    ]
    fields = {
        "csrfmiddlewaretoken": token,
        "key": "comment",
        "block": block_id,
        "selectors": json.dumps(selectors),
        "quote": exact,
    }
    words = (
        f"Load comment {rng.getrandbits(48):x}: this part is hard to follow for me and my carer."
    )
    await typing(client, built, tally, rng, fields, words)
    sent = await timed(
        tally,
        tally.post_ms,
        client.post,
        built["create"],
        data={**fields, "body": words, "visibility": "members"},
    )
    if await taken(client, tally, sent, "Your comment has been added."):
        tally.posted += 1


async def reply(
    client: httpx.AsyncClient,
    built: dict[str, Any],
    tally: Tally,
    rng: random.Random,
    token: str,
    thread_id: int,
) -> None:
    words = f"Load reply {rng.getrandbits(48):x}: I agree, and it would help to say why."
    fields = {"csrfmiddlewaretoken": token, "key": f"reply-{thread_id}"}
    await typing(client, built, tally, rng, fields, words)
    url = built["reply_base"].replace("/comments/1/", f"/comments/{thread_id}/")
    sent = await timed(
        tally,
        tally.post_ms,
        client.post,
        url,
        data={"csrfmiddlewaretoken": token, "body": words, "next": built["page"]},
    )
    if await taken(client, tally, sent, "Your reply has been added."):
        tally.posted += 1


async def taken(
    client: httpx.AsyncClient, tally: Tally, sent: httpx.Response | None, said: str
) -> bool:
    """Whether the page the browser is sent to says the words were taken (and so stored)."""
    if sent is None or sent.status_code != 302:
        return False
    page = await timed(tally, tally.page_ms, client.get, sent.headers["location"])
    if page is None or said not in page.text:
        tally.problems.append(f"not taken: {sent.headers['location']}")
        return False
    return True


async def drive(base: str, built: dict[str, Any]) -> Tally:
    tally = Tally()
    until = time.monotonic() + SECONDS
    await asyncio.gather(
        *(
            partner(base, email, built, tally, seed, until)
            for seed, email in enumerate(built["emails"])
        )
    )
    return tally


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    started = time.perf_counter()
    if connection.vendor != "postgresql":
        log("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
        return 2
    redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).ping()
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    try:
        s = connection.settings_dict
        database_url = (
            f"postgres://{s['USER'] or 'postgres'}"
            f"{':' + s['PASSWORD'] if s['PASSWORD'] else ''}"
            f"@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        )
        built = build(random.Random(20261206))
        connection.close()  # the site's processes use the database from here
        log(f"built: {PARTNERS} partners, {len(built['blocks'])} blocks to comment on")
        with running_site(database_url) as (base, _var):
            log(f"site at {base}; driving {PARTNERS} partners for {SECONDS:.0f} s")
            tally = asyncio.run(drive(base, built))
        from documents.models import Comment

        stored = Comment.objects.filter(
            version_id=built["version_id"], author_id__in=built["partner_ids"]
        ).count()
        for problem in sorted(set(tally.problems))[:15]:
            log(f"  {problem}")
        print(f"requests: {tally.requests}")
        print(f"errors: {tally.errors}")
        print(f"comments_posted: {tally.posted}")
        print(f"comments_stored: {stored}")
        print(f"login_p50_ms: {percentile(tally.login_ms, 0.5):.0f}")
        for name, values in (("page", tally.page_ms), ("post", tally.post_ms)):
            print(f"{name}_p50_ms: {statistics.median(values) if values else 0:.0f}")
            print(f"{name}_p95_ms: {percentile(values, 0.95):.0f}")
            print(f"{name}_p99_ms: {percentile(values, 0.99):.0f}")
        print(f"p95_ms: {percentile(tally.page_ms + tally.post_ms, 0.95):.0f}")
        print(f"lost_comments: {tally.posted - stored}")
    finally:
        connection.close()
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
        # REDIS_URL names a Redis database for the benchmark alone (cache, broker, queues).
        cache = redis.Redis.from_url(os.environ["REDIS_URL"])
        cache.flushdb()
        cache.close()
        log(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
