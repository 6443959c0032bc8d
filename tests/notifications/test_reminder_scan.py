"""The reminder scan: a round opens, its deadline nears, it passes; each told once, on time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from documents.models import Assignment, AssignmentState
from documents.reminders import reminder_due_at, rounds_scan
from engagement.models import Membership
from engagement.services import membership_end
from portal.notifications.models import Delivery, Kind, Notification
from portal.notifications.services import notification_deliver
from portal.permissions import Role
from tests.conftest import StudyTeam
from tests.factories import MembershipFactory
from tests.notifications.helpers import a_round, a_version, london, utc


def kinds_for(user) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", "occasion"))


def test_partners_hear_a_round_has_opened_once_and_not_before(team: StudyTeam) -> None:
    version = a_version(team)
    opens = utc(2026, 5, 4, 9)
    a_round(
        version,
        [team.partner],
        opens_at=opens,
        deadline=opens + dt.timedelta(days=14),
        by=team.coordinator,
    )
    rounds_scan(now=opens - dt.timedelta(minutes=1))
    assert kinds_for(team.partner) == []
    rounds_scan(now=opens)
    rounds_scan(now=opens + dt.timedelta(minutes=15))
    assert kinds_for(team.partner) == [(Kind.ROUND_OPENED, "")]
    opened = Notification.objects.get(recipient=team.partner)
    assert opened.study_id == team.study.pk
    assert opened.link.endswith(f"/versions/{version.number}/")
    assert (
        "Information sheet" in opened.subject or "Participant information sheet" in opened.subject
    )
    # Nobody else in the study was asked.
    assert not Notification.objects.exclude(recipient=team.partner).exists()


def test_deadline_reminders_come_three_days_and_one_day_before(team: StudyTeam) -> None:
    deadline = london(2026, 6, 19, 10)
    a_round(
        a_version(team),
        [team.partner],
        opens_at=deadline - dt.timedelta(days=10),
        deadline=deadline,
        by=team.coordinator,
    )
    rounds_scan(now=deadline - dt.timedelta(days=3, minutes=1))
    assert (Kind.DEADLINE_NEAR, "3d") not in kinds_for(team.partner)
    rounds_scan(now=deadline - dt.timedelta(days=3))
    assert (Kind.DEADLINE_NEAR, "3d") in kinds_for(team.partner)
    rounds_scan(now=deadline - dt.timedelta(days=1))
    rounds_scan(now=deadline - dt.timedelta(hours=2))
    near = [k for k in kinds_for(team.partner) if k[0] == Kind.DEADLINE_NEAR]
    assert near == [(Kind.DEADLINE_NEAR, "1d"), (Kind.DEADLINE_NEAR, "3d")]


@pytest.mark.parametrize(
    ("deadline", "days", "due_utc"),
    [
        # Clocks go forward at 01:00 on Sunday 29 March 2026: the day before a Monday 10:00
        # deadline is 10:00 BST, which is 09:00 UTC; three days before is 10:00 GMT.
        (london(2026, 3, 30, 10), 1, utc(2026, 3, 29, 9)),
        (london(2026, 3, 30, 10), 3, utc(2026, 3, 27, 10)),
        # Clocks go back at 02:00 on Sunday 25 October 2026.
        (london(2026, 10, 26, 10), 1, utc(2026, 10, 25, 10)),
        (london(2026, 10, 26, 10), 3, utc(2026, 10, 23, 9)),
    ],
    ids=["march-1d", "march-3d", "october-1d", "october-3d"],
)
def test_reminders_keep_the_local_hour_across_the_clock_changes(
    team: StudyTeam, deadline: dt.datetime, days: int, due_utc: dt.datetime
) -> None:
    assert reminder_due_at(deadline, days) == due_utc
    a_round(
        a_version(team),
        [team.partner],
        opens_at=deadline - dt.timedelta(days=10),
        deadline=deadline,
        by=team.coordinator,
        reminder_days=[days],
    )
    rounds_scan(now=due_utc - dt.timedelta(minutes=1))
    assert (Kind.DEADLINE_NEAR, f"{days}d") not in kinds_for(team.partner)
    rounds_scan(now=due_utc)
    assert (Kind.DEADLINE_NEAR, f"{days}d") in kinds_for(team.partner)
    # The email says the deadline in local time.
    near = Notification.objects.get(recipient=team.partner, kind=Kind.DEADLINE_NEAR)
    assert "at 10:00" in near.text_body


def test_a_passed_deadline_tells_the_partner_once_and_the_coordinator_who_is_missing(
    team: StudyTeam,
) -> None:
    finished = MembershipFactory(study=team.study, role=Role.PARTNER).user
    deadline = utc(2026, 7, 1, 12)
    review_round = a_round(
        a_version(team),
        [team.partner, finished],
        opens_at=deadline - dt.timedelta(days=7),
        deadline=deadline,
        by=team.coordinator,
    )
    Assignment.objects.filter(round=review_round, partner=finished).update(
        state=AssignmentState.FINISHED
    )
    for minutes in (0, 15, 30):
        rounds_scan(now=deadline + dt.timedelta(minutes=minutes))
    assert (Kind.DEADLINE_PASSED, "passed") in kinds_for(team.partner)
    assert [k for k in kinds_for(finished) if k[0] == Kind.DEADLINE_PASSED] == []
    summary = Notification.objects.get(recipient=team.coordinator, kind=Kind.ROUND_OVERDUE)
    assert team.partner.display_name in summary.text_body
    assert finished.display_name not in summary.text_body
    assert Notification.objects.filter(kind=Kind.ROUND_OVERDUE).count() == 1
    # A finished partner is not reminded of the deadline either.
    assert not Notification.objects.filter(recipient=finished, kind=Kind.DEADLINE_NEAR).exists()


def test_the_deadline_reminder_carries_a_calendar_entry_and_an_unsubscribe_header(
    team: StudyTeam,
) -> None:
    deadline = utc(2026, 8, 10, 9)
    a_round(
        a_version(team),
        [team.partner],
        opens_at=deadline - dt.timedelta(days=5),
        deadline=deadline,
        by=team.coordinator,
        reminder_days=[1],
    )
    rounds_scan(now=deadline - dt.timedelta(hours=20))
    near = Notification.objects.get(recipient=team.partner, kind=Kind.DEADLINE_NEAR)
    assert notification_deliver(notification_id=near.pk) == Delivery.SENT
    message = mail.outbox[-1]
    assert message.to == [team.partner.email]
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://testserver/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == ("review-deadline.ics", "text/calendar")
    event = next(iter(Calendar.from_ical(content).walk("VEVENT")))
    assert event.decoded("dtend") == deadline
    assert "http://testserver/studies/" in str(event.get("url"))
    # Sending again finds nothing to do.
    assert notification_deliver(notification_id=near.pk) == ""
    assert len(mail.outbox) == 1


def test_a_partner_who_left_is_not_emailed_and_the_row_says_why(team: StudyTeam) -> None:
    opens = utc(2026, 9, 1, 9)
    a_round(
        a_version(team),
        [team.partner],
        opens_at=opens,
        deadline=opens + dt.timedelta(days=7),
        by=team.coordinator,
    )
    rounds_scan(now=opens)
    opened = Notification.objects.get(recipient=team.partner)
    membership_end(membership=Membership.objects.get(study=team.study, user=team.partner))
    assert notification_deliver(notification_id=opened.pk) == Delivery.SKIPPED
    opened.refresh_from_db()
    assert opened.delivery == Delivery.SKIPPED
    assert opened.error == "the partner has left the study"
    assert mail.outbox == []


def test_a_deleted_round_is_skipped_not_sent(team: StudyTeam) -> None:
    opens = utc(2026, 9, 1, 9)
    review_round = a_round(
        a_version(team),
        [team.partner],
        opens_at=opens,
        deadline=opens + dt.timedelta(days=7),
        by=team.coordinator,
    )
    rounds_scan(now=opens)
    opened = Notification.objects.get(recipient=team.partner)
    review_round.delete()
    assert notification_deliver(notification_id=opened.pk) == Delivery.SKIPPED
    assert mail.outbox == []


def test_a_notification_whose_recipient_is_gone_is_not_sent(team: StudyTeam) -> None:
    assert notification_deliver(notification_id=987654321) == ""


def test_the_scan_reads_the_same_number_of_times_however_many_partners_are_asked(
    team: StudyTeam,
) -> None:
    def reads_and_rows(partners: int, month: int) -> tuple[int, int]:
        people = [
            MembershipFactory(study=team.study, role=Role.PARTNER).user for _ in range(partners)
        ]
        deadline = utc(2026, month, 5, 9)
        for _ in range(2):
            a_round(
                a_version(team),
                people,
                opens_at=deadline - dt.timedelta(days=5),
                deadline=deadline,
                by=team.coordinator,
            )
        before = Notification.objects.count()
        with CaptureQueriesContext(connection) as queries:
            rounds_scan(now=deadline - dt.timedelta(hours=12))
        reads = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
        return len(reads), Notification.objects.count() - before

    few_reads, few_rows = reads_and_rows(3, 10)
    many_reads, many_rows = reads_and_rows(40, 11)
    # Opened, each due reminder's partners, passed, and the coordinators' summaries: the
    # rows are written in batches, but what is read does not grow with the partners.
    assert few_reads == many_reads <= 6
    # Two rounds, each partner told it opened and that the deadline is a day away.
    assert few_rows == 2 * 2 * 3
    assert many_rows >= 2 * 2 * 40
