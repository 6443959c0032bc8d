from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NoReturn

import django_ratelimit.core
import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client

from engagement.models import Stage, Study
from engagement.services import study_create
from portal.accounts.models import User
from portal.permissions import Role
from tests.factories import MembershipFactory, StudyFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip a test whose service or program is missing on this machine; in CI, where the
    README promises it is there, fail it instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: it must be there)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Uploads go to a folder of the test's own, never to var/media (nor another test's)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Each test starts with an empty cache: ids are reused between tests, so rate-limit
    counts (per person) and cached pages would otherwise carry over from an earlier test.
    Only the in-process cache is emptied: a shared Redis is never flushed."""
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture(autouse=True)
def steady_rate_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate limits count in windows on the clock (a minute, an hour). A test that posts three
    times across the turn of a minute would see the count start again, so within a test the
    limits' clock stands still."""
    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))


def migrate_to(targets: list[tuple[str, str]] | None = None) -> Any:
    """Migrate the test database to ``targets`` (None: every app's latest) as `migrate` does,
    with the thread-stamp triggers dropped around it (SQLite cannot rebuild a table that a
    trigger names); the apps as they were at those migrations."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from documents.stamps import threads_triggers_create, threads_triggers_drop

    threads_triggers_drop(connection)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    threads_triggers_create(connection)
    return executor.loader.project_state(targets).apps


def give_totp(user: User) -> None:
    """Coordinators must have two-factor; tests that are not about it give them one."""
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )


@dataclass
class StudyTeam:
    """One study with a member in each role, and an outsider who belongs to another."""

    study: Study
    coordinator: User
    researcher: User
    partner: User
    outsider: User
    other_study: Study

    @property
    def stage(self) -> Stage:
        return self.study.stages.order_by("position").first()  # type: ignore[return-value]


@pytest.fixture
def team(db: None) -> StudyTeam:
    coordinator = UserFactory(display_name="Cora Coordinator")
    give_totp(coordinator)
    study = study_create(
        created_by=coordinator,
        title="Living well",
        lay_summary="About living well.",
        status="active",
    )
    researcher = MembershipFactory(study=study, role=Role.RESEARCHER).user
    partner = MembershipFactory(study=study, role=Role.PARTNER).user
    other_study = StudyFactory(title="Someone else's study")
    outsider = MembershipFactory(study=other_study, role=Role.PARTNER).user
    return StudyTeam(study, coordinator, researcher, partner, outsider, other_study)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
