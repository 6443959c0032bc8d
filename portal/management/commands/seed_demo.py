from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from engagement.models import Membership, Study, StudyStatus
from engagement.services import study_create
from portal.accounts.models import User
from portal.accounts.services import user_by_email, user_create
from portal.permissions import Role

# Public on purpose: the README prints it, and the command refuses to run with DEBUG off.
DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105

PEOPLE: list[tuple[str, str, bool]] = [
    ("coordinator@example.org", "Chris Coordinator", True),
    ("researcher@example.org", "Rana Researcher", False),
    ("partner1@example.org", "Pat Partner", False),
    ("partner2@example.org", "Sam Carer", False),
    ("partner3@example.org", "Alex Member", False),
]

STUDIES: list[tuple[str, str, str]] = [
    (
        "Living well with heart failure",
        "We want to find out what helps people with heart failure stay active at home, "
        "and how community nurses can support them and their carers.",
        StudyStatus.ACTIVE,
    ),
    (
        "Carers' voices in discharge planning",
        "How can hospital teams involve unpaid carers when a patient leaves hospital? "
        "We will talk with carers and staff and test a short planning guide.",
        StudyStatus.PLANNING,
    ),
]


class Command(BaseCommand):
    help = "Create demo people and studies (safe to run again). For local trials only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though DEBUG is off. Never on a live site: the password is public.",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo creates accounts with a public password; DEBUG is off.")
        people = {email: self._person(email, name, creator) for email, name, creator in PEOPLE}
        coordinator = people["coordinator@example.org"]
        for title, summary, status in STUDIES:
            study = Study.objects.filter(title=title).first() or study_create(
                created_by=coordinator, title=title, lay_summary=summary, status=status
            )
            self._member(study, people["researcher@example.org"], Role.RESEARCHER, coordinator)
            for email in ("partner1@example.org", "partner2@example.org", "partner3@example.org"):
                self._member(study, people[email], Role.PARTNER, coordinator)

        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, name, _creator in PEOPLE:
            self.stdout.write(f"  {email:<26} {name}")

    def _person(self, email: str, name: str, creator: bool) -> User:
        user = user_by_email(email)
        if user is None:
            user = user_create(email=email, display_name=name, password=None, verified=True)
        user.set_password(DEMO_PASSWORD)
        user.can_create_studies = creator
        user.save(update_fields=["password", "can_create_studies"])
        return user

    def _member(self, study: Study, user: User, role: str, added_by: User) -> None:
        if not Membership.objects.filter(study=study, user=user, left_on__isnull=True).exists():
            Membership.objects.create(study=study, user=user, role=role, added_by=added_by)
