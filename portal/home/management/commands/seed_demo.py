from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from documents.models import Document, DocumentKind, Outcome
from documents.services.comments import comment_create
from documents.services.responses import response_save
from documents.services.rounds import round_open
from documents.services.versions import document_create, version_convert
from engagement.involvement.services.contributions import contribution_approve, contribution_save
from engagement.models import ActivityType, Membership, Study, StudyStatus
from engagement.services import study_create
from portal.accounts.models import User
from portal.accounts.services import user_by_email, user_create
from portal.permissions import Role

# Public on purpose: the README prints it, and the command refuses to run with DEBUG off.
DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"

PEOPLE: list[tuple[str, str, bool]] = [
    ("coordinator@example.org", "Chris Coordinator", True),
    # A second coordinator, who approves what Chris entered on a partner's behalf.
    ("coordinator2@example.org", "Casey Coordinator", False),
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
            self._member(study, people["coordinator2@example.org"], Role.COORDINATOR, coordinator)
            self._member(study, people["researcher@example.org"], Role.RESEARCHER, coordinator)
            for email in ("partner1@example.org", "partner2@example.org", "partner3@example.org"):
                self._member(study, people[email], Role.PARTNER, coordinator)

        self._documents_and_involvement(people)

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

    def _documents_and_involvement(self, people: dict[str, User]) -> None:
        """A document under review with a comment and its answer, and some involvement."""
        study = Study.objects.get(title=STUDIES[0][0])
        if Document.objects.filter(study=study).exists():
            return
        coordinator = people["coordinator@example.org"]
        researcher = people["researcher@example.org"]
        partner = people["partner1@example.org"]
        stage = study.stages.order_by("position")[2]
        version = document_create(
            study=study,
            title="Participant information sheet",
            kind=DocumentKind.INFORMATION_SHEET,
            stage=stage,
            data=(DEMO_DIR / "information_sheet.md").read_bytes(),
            filename="information-sheet.md",
            change_summary="First draft for partners to review.",
            created_by=researcher,
        )
        # Prepared here rather than by the worker, so the demo is complete at once.
        version_convert(version_id=version.pk)
        version.refresh_from_db()
        now = timezone.now()
        round_open(
            version=version,
            partners=None,
            opens_at=now - dt.timedelta(days=2),
            deadline=now + dt.timedelta(days=12),
            instructions="Is anything unclear, or missing? Please comment on any part.",
            independent=False,
            created_by=coordinator,
        )
        block = next(b for b in version.blocks if b["text"].startswith("A researcher will visit"))
        quote = "about an hour"
        start = block["text"].index(quote)
        comment = comment_create(
            version=version,
            author=partner,
            body="An hour is a long time if you get tired easily. Could people take a break?",
            block_id=block["id"],
            selectors=[
                {"type": "TextQuoteSelector", "exact": quote, "prefix": "", "suffix": ""},
                {"type": "TextPositionSelector", "start": start, "end": start + len(quote)},
            ],
            visibility="members",
            is_team=False,
        )
        response_save(
            thread=comment,
            author=researcher,
            outcome=Outcome.CHANGED,
            body="We now say people can take a break or split the conversation over two days.",
            publish=True,
        )
        today = timezone.localdate()
        meeting = contribution_save(
            contribution=None,
            partner=partner,
            study=study,
            stage=stage,
            activity_type=ActivityType.MEETING,
            activity_date=today - dt.timedelta(days=10),
            minutes=120,
            what_they_did="Steering group meeting: discussed how to reach carers.",
            hoped_to_influence="That carers are invited as well as patients.",
            entered_by=partner,
            submit=True,
        )
        contribution_approve(contribution=meeting, by=coordinator)
        # Entered by proxy by Chris, so Casey (the second coordinator) approves it.
        contribution_save(
            contribution=None,
            partner=people["partner2@example.org"],
            study=study,
            stage=stage,
            activity_type=ActivityType.WORKSHOP,
            activity_date=today - dt.timedelta(days=3),
            minutes=180,
            what_they_did="Workshop on the interview questions.",
            entered_by=coordinator,
            submit=True,
        )
