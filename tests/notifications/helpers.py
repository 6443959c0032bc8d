"""Building review rounds at chosen times for the reminder tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from documents.models import ReviewRound, Version
from portal.accounts.models import User
from tests.conftest import StudyTeam
from tests.documents.builders import ready_version

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def a_version(team: StudyTeam) -> Version:
    return ready_version(
        study=team.study, by=team.coordinator, paragraphs=["# Information sheet", "Take part."]
    )


def a_round(
    version: Version,
    partners: list[User],
    *,
    opens_at: dt.datetime,
    deadline: dt.datetime,
    by: User,
    reminder_days: list[int] | None = None,
) -> ReviewRound:
    """A round as coordinators set one up, created directly so its times can be anywhere."""
    from documents.models import Assignment

    review_round = ReviewRound.objects.create(
        version=version,
        opens_at=opens_at,
        deadline=deadline,
        instructions="Please read the whole sheet.",
        created_by=by,
        reminder_days=[3, 1] if reminder_days is None else reminder_days,
    )
    Assignment.objects.bulk_create(
        Assignment(round=review_round, partner=partner) for partner in partners
    )
    return review_round


def a_round_open_now(team: StudyTeam, partners: list[User]) -> ReviewRound:
    """A round of a new version of the team's study that opened an hour ago, for ten days."""
    opens = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    return a_round(
        a_version(team),
        partners,
        opens_at=opens,
        deadline=opens + dt.timedelta(days=10),
        by=team.coordinator,
    )
