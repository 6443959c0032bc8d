"""Coordinators see each partner's progress and remind by hand; answers, replies and
decisions on contributions reach the people they concern."""

from __future__ import annotations

import datetime as dt
import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from icalendar import Calendar

from documents.models import Assignment, AssignmentState
from documents.reminders import round_remind
from documents.services.comments import comment_reply
from documents.services.responses import response_save
from engagement.involvement.services.contributions import (
    contribution_approve,
    contribution_return,
    contribution_save,
)
from engagement.models import Membership
from portal.notifications.models import Delivery, Kind, Notification
from portal.notifications.services import notification_deliver
from portal.permissions import Role
from tests.conftest import StudyTeam, client_for
from tests.documents.builders import thread
from tests.factories import MembershipFactory
from tests.notifications.helpers import a_round_open_now, a_version


def test_the_round_page_shows_each_partners_progress(team: StudyTeam) -> None:
    other = MembershipFactory(study=team.study, role=Role.PARTNER).user
    review_round = a_round_open_now(team, [team.partner, other])
    Assignment.objects.filter(round=review_round, partner=other).update(
        state=AssignmentState.FINISHED
    )
    thread(
        review_round.version, team.partner, block_id="b2", exact="Take", review_round=review_round
    )
    Assignment.objects.filter(round=review_round, partner=team.partner).update(
        state=AssignmentState.IN_PROGRESS
    )
    page = (
        client_for(team.coordinator)
        .get(reverse("round_detail", args=[team.study.pk, review_round.pk]))
        .content.decode()
    )
    assert escape(team.partner.display_name) in page
    assert escape(other.display_name) in page
    assert 'data-state="finished">Finished' in page
    assert 'data-state="in_progress">In progress' in page
    assert "to the 1 partner who has not finished" in page


def test_a_reminder_by_hand_goes_once_a_day_however_often_it_is_pressed(team: StudyTeam) -> None:
    review_round = a_round_open_now(team, [team.partner])
    client = client_for(team.coordinator)
    url = reverse("round_remind", args=[team.study.pk, review_round.pk])
    first = client.post(url, follow=True)
    assert "A reminder is on its way to 1 partner." in first.content.decode()
    second = client.post(url, follow=True).content.decode()
    assert "were not reminded again" in second
    assert Notification.objects.filter(kind=Kind.REVIEW_REMINDER).count() == 1
    # A day later another one may go.
    sent, next_allowed = round_remind(
        review_round=review_round, now=timezone.now() + dt.timedelta(hours=24, minutes=1)
    )
    assert (sent, next_allowed) == (1, None)
    page = client.get(reverse("round_detail", args=[team.study.pk, review_round.pk])).content
    assert b"Not yet" not in page  # last reminded is shown


def test_the_round_calendar_file_opens_in_calendar_programs(team: StudyTeam) -> None:
    review_round = a_round_open_now(team, [team.partner])
    response = client_for(team.partner).get(
        reverse("round_calendar", args=[team.study.pk, review_round.pk])
    )
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtend") == review_round.deadline.replace(microsecond=0)
    assert "Participant information sheet" in str(event.get("summary"))
    assert calendar.walk("VALARM")


def test_an_answer_is_told_to_its_author_when_published_not_while_a_draft(team: StudyTeam) -> None:
    review_round = a_round_open_now(team, [team.partner])
    comment = thread(
        review_round.version, team.partner, block_id="b2", exact="Take", review_round=review_round
    )
    response_save(
        thread=comment,
        author=team.researcher,
        outcome="changed",
        body="Shorter now.",
        publish=False,
    )
    assert not Notification.objects.filter(kind=Kind.COMMENT_ANSWERED).exists()
    response_save(
        thread=comment, author=team.researcher, outcome="changed", body="Shorter now.", publish=True
    )
    answered = Notification.objects.get(kind=Kind.COMMENT_ANSWERED)
    assert answered.recipient == team.partner
    assert answered.link.endswith(f"#thread-{comment.pk}")
    assert "Shorter now." in answered.text_body


def test_a_reply_is_told_to_the_others_in_the_conversation(team: StudyTeam) -> None:
    review_round = a_round_open_now(team, [team.partner])
    comment = thread(
        review_round.version, team.partner, block_id="b2", exact="Take", review_round=review_round
    )
    comment_reply(thread=comment, author=team.researcher, body="Which part?")
    reply_note = Notification.objects.get(kind=Kind.THREAD_REPLY)
    assert reply_note.recipient == team.partner
    assert "Which part?" in reply_note.text_body
    comment_reply(thread=comment, author=team.partner, body="The second paragraph.")
    assert Notification.objects.filter(kind=Kind.THREAD_REPLY, recipient=team.researcher).exists()
    assert (
        not Notification.objects.filter(kind=Kind.THREAD_REPLY, recipient=team.partner).count() > 1
    )


def test_a_reply_after_the_answer_is_told_to_whoever_answered(team: StudyTeam) -> None:
    review_round = a_round_open_now(team, [team.partner])
    comment = thread(
        review_round.version, team.partner, block_id="b2", exact="Take", review_round=review_round
    )
    # A draft answer is not yet part of the conversation.
    response_save(
        thread=comment, author=team.coordinator, outcome="changed", body="Draft.", publish=False
    )
    comment_reply(thread=comment, author=team.partner, body="Also the title.")
    assert not Notification.objects.filter(kind=Kind.THREAD_REPLY).exists()

    response_save(
        thread=comment, author=team.coordinator, outcome="changed", body="Shorter.", publish=True
    )
    comment_reply(thread=comment, author=team.partner, body="But what about the second visit?")
    told = Notification.objects.get(kind=Kind.THREAD_REPLY)
    assert told.recipient == team.coordinator
    assert "But what about the second visit?" in told.text_body
    assert told.link.endswith(f"#thread-{comment.pk}")
    # Whoever answered and replies again is not told of their own reply.
    comment_reply(thread=comment, author=team.coordinator, body="We will look again.")
    assert (
        Notification.objects.filter(kind=Kind.THREAD_REPLY, recipient=team.coordinator).count() == 1
    )
    assert Notification.objects.filter(kind=Kind.THREAD_REPLY, recipient=team.partner).count() == 1


def test_a_reply_after_the_answer_is_not_told_to_an_answerer_who_has_left(
    team: StudyTeam,
) -> None:
    review_round = a_round_open_now(team, [team.partner])
    comment = thread(
        review_round.version, team.partner, block_id="b2", exact="Take", review_round=review_round
    )
    response_save(
        thread=comment, author=team.researcher, outcome="changed", body="Done.", publish=True
    )
    Membership.objects.filter(study=team.study, user=team.researcher).update(
        left_on=timezone.localdate()
    )
    comment_reply(thread=comment, author=team.partner, body="Thank you.")
    assert not Notification.objects.filter(kind=Kind.THREAD_REPLY).exists()


def _submitted(team: StudyTeam):
    return contribution_save(
        contribution=None,
        partner=team.partner,
        study=team.study,
        stage=team.stage,
        activity_type="meeting",
        activity_date=timezone.localdate(),
        minutes=90,
        what_they_did="Steering group.",
        entered_by=team.partner,
        submit=True,
    )


def test_partners_hear_their_contribution_was_approved_or_returned_with_the_reason(
    team: StudyTeam,
) -> None:
    contribution = contribution_return(
        contribution=_submitted(team), by=team.coordinator, reason="Add the date of the meeting."
    )
    returned = Notification.objects.get(kind=Kind.CONTRIBUTION_RETURNED)
    assert "Add the date of the meeting." in returned.text_body
    assert returned.link == reverse("contribution_detail", args=[team.study.pk, contribution.pk])
    second = _submitted(team)
    contribution_approve(contribution=second, by=team.coordinator)
    approved = Notification.objects.get(kind=Kind.CONTRIBUTION_APPROVED)
    assert approved.recipient == team.partner
    assert "Payment due: £" in approved.text_body


def test_a_refused_address_is_recorded_and_shown_to_coordinators(team: StudyTeam) -> None:
    review_round = a_round_open_now(team, [team.partner])
    from documents.reminders import round_opened_notify

    round_opened_notify(review_round=review_round)
    opened = Notification.objects.get(kind=Kind.ROUND_OPENED)
    refused = smtplib.SMTPRecipientsRefused({team.partner.email: (550, b"No such mailbox")})
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=refused):
        assert notification_deliver(notification_id=opened.pk) == Delivery.FAILED
    opened.refresh_from_db()
    assert "the address was refused" in opened.error
    client = client_for(team.coordinator)
    expected = escape(f"We could not email {team.partner.display_name}")
    members = client.get(reverse("member_list", args=[team.study.pk])).content.decode()
    assert expected in members
    progress = client.get(reverse("round_detail", args=[team.study.pk, review_round.pk]))
    assert expected in progress.content.decode()
    assert mail.outbox == []


def test_a_temporary_failure_puts_it_back_to_be_tried_again(team: StudyTeam) -> None:
    from celery.exceptions import Retry

    from portal.notifications.tasks import notification_send

    review_round = a_round_open_now(team, [team.partner])
    from documents.reminders import round_opened_notify

    round_opened_notify(review_round=review_round)
    opened = Notification.objects.get(kind=Kind.ROUND_OPENED)
    busy = smtplib.SMTPResponseException(421, b"busy")
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=busy),
        mock.patch.object(notification_send, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        notification_send.run(opened.pk)
    retry.assert_called_once()
    opened.refresh_from_db()
    assert opened.delivery == Delivery.PENDING
    assert opened.attempts == 1
    notification_send.run(opened.pk)
    opened.refresh_from_db()
    assert opened.delivery == Delivery.SENT
    assert len(mail.outbox) == 1


def _round_form(team: StudyTeam, reminder_days: str):
    version = a_version(team)
    now = timezone.now()
    url = reverse(
        "round_new", args=[version.document.study_id, version.document_id, version.number]
    )
    return client_for(team.coordinator).post(
        url,
        {
            "opens_at": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M"),
            "deadline": timezone.localtime(now + dt.timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
            "partners": [team.partner.pk],
            "reminder_days": reminder_days,
        },
    )


def test_a_coordinator_chooses_when_a_round_reminds_and_partners_hear_it_opened(
    team: StudyTeam, django_capture_on_commit_callbacks
) -> None:
    from documents.models import ReviewRound

    with django_capture_on_commit_callbacks(execute=True):
        response = _round_form(team, "2, 7")
    assert response.status_code == 302
    assert ReviewRound.objects.get().reminder_days == [7, 2]
    opened = Notification.objects.get(kind=Kind.ROUND_OPENED)
    assert opened.recipient == team.partner
    assert opened.delivery == Delivery.SENT
    assert [m.to for m in mail.outbox] == [[team.partner.email]]


def test_reminder_days_that_are_not_numbers_are_refused_with_a_message(team: StudyTeam) -> None:
    response = _round_form(team, "soon")
    assert response.status_code == 200
    assert "Enter whole numbers of days, for example 3, 1." in response.content.decode()
    assert not Notification.objects.exists()
