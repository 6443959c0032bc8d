"""A review round's deadline as an iCalendar event that calendar programs accept."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Alarm, Calendar, Event

from documents.models import ReviewRound, Version


def version_link(version: Version) -> str:
    """The path of the version's page, where its review happens."""
    return reverse(
        "version_detail",
        kwargs={
            "study_id": version.document.study_id,
            "document_id": version.document_id,
            "number": version.number,
        },
    )


def round_link(review_round: ReviewRound) -> str:
    return version_link(review_round.version)


def round_calendar(review_round: ReviewRound) -> bytes:
    """One event at the deadline, with an alarm a day before, in UTC (unambiguous)."""
    document = review_round.version.document
    calendar = Calendar()
    calendar.add("prodid", "-//PPIE Portal//Review deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0]
    event.add("uid", f"review-round-{review_round.pk}@{host}")
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    deadline = review_round.deadline.astimezone(dt.UTC)
    event.add("dtstart", deadline - dt.timedelta(minutes=30))
    event.add("dtend", deadline)
    event.add("summary", f"Comments due: {document.title}")
    url = settings.SITE_URL + round_link(review_round)
    event.add(
        "description",
        f"The review of “{document.title}” closes at this time. Open it: {url}",
    )
    event.add("url", url)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"Comments on “{document.title}” are due tomorrow")
    alarm.add("trigger", dt.timedelta(days=-1))
    event.add_component(alarm)
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
