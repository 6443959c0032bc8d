"""What's new shows everything a person was sent; they choose how often email comes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from documents.reminders import rounds_scan
from portal.accounts.models import Profile
from portal.notifications.models import Delivery, Frequency, Kind, Notification
from portal.notifications.services import digests_record, notification_deliver
from portal.notifications.tokens import unsubscribe_token
from tests.conftest import StudyTeam, client_for
from tests.notifications.helpers import a_round, a_version


def opened_for(team: StudyTeam, frequency: str = Frequency.IMMEDIATE) -> Notification:
    Profile.objects.filter(user=team.partner).update(email_frequency=frequency)
    team.partner.refresh_from_db()
    opens = timezone.now() - dt.timedelta(minutes=5)
    a_round(
        a_version(team),
        [team.partner],
        opens_at=opens,
        deadline=opens + dt.timedelta(days=14),
        by=team.coordinator,
    )
    rounds_scan()
    return Notification.objects.get(recipient=team.partner, kind=Kind.ROUND_OPENED)


def test_whats_new_lists_it_with_a_count_in_the_header_and_opens_the_review(
    team: StudyTeam,
) -> None:
    opened = opened_for(team)
    client = client_for(team.partner)
    page = client.get(reverse("whats_new")).content.decode()
    assert "Please review “Participant information sheet”" in page
    assert 'class="badge text-bg-primary">1<span class="visually-hidden"> unread' in page
    follow = client.get(reverse("notification_follow", args=[opened.pk]))
    assert follow.status_code == 302
    assert follow["Location"] == opened.link
    opened.refresh_from_db()
    assert opened.read_at is not None
    page = client.get(reverse("whats_new")).content.decode()
    assert 'visually-hidden"> unread' not in page


def test_another_persons_notification_is_not_found(team: StudyTeam) -> None:
    opened = opened_for(team)
    response = client_for(team.researcher).get(reverse("notification_follow", args=[opened.pk]))
    assert response.status_code == 404
    opened.refresh_from_db()
    assert opened.read_at is None


def test_everything_can_be_marked_read_at_once(team: StudyTeam) -> None:
    opened_for(team)
    response = client_for(team.partner).post(reverse("whats_new_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=team.partner, read_at__isnull=True).exists()


def test_essential_only_keeps_it_in_whats_new_without_email(team: StudyTeam) -> None:
    opened = opened_for(team, Frequency.ESSENTIAL)
    assert opened.delivery == Delivery.NOT_EMAILED
    assert notification_deliver(notification_id=opened.pk) == ""
    assert mail.outbox == []
    assert "Please review" in client_for(team.partner).get(reverse("whats_new")).content.decode()


@pytest.mark.parametrize("frequency", [Frequency.DAILY, Frequency.WEEKLY])
def test_a_summary_gathers_what_waited_and_is_sent_once(team: StudyTeam, frequency: str) -> None:
    opened = opened_for(team, frequency)
    assert opened.delivery == Delivery.HELD
    now = timezone.now()
    assert digests_record(frequency=frequency, now=now) == 1
    assert digests_record(frequency=frequency, now=now) == 0
    digest = Notification.objects.get(recipient=team.partner, kind=Kind.DIGEST)
    opened.refresh_from_db()
    assert opened.delivery == Delivery.IN_DIGEST
    assert notification_deliver(notification_id=digest.pk) == Delivery.SENT
    message = mail.outbox[-1]
    assert ("weekly" if frequency == Frequency.WEEKLY else "daily") in message.subject
    assert opened.title in message.body
    assert "http://testserver" + opened.link in message.body


def test_the_profile_offers_the_choice_of_how_often(team: StudyTeam) -> None:
    page = client_for(team.partner).get(reverse("profile")).content.decode()
    for value in ("immediate", "daily", "weekly", "essential"):
        assert f'name="email_frequency" value="{value}"' in page


def test_one_click_unsubscribe_stops_reminders_but_not_essential_email(team: StudyTeam) -> None:
    token = unsubscribe_token(team.partner.pk)
    url = reverse("unsubscribe", args=[token])
    page = client_for(None).get(url)
    assert page.status_code == 200
    assert "Stop email reminders?" in page.content.decode()
    assert Profile.objects.get(user=team.partner).email_frequency == Frequency.IMMEDIATE
    # A mail program posts without a session or CSRF token (RFC 8058).
    from django.test import Client

    done = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "no more reminder emails" in done.content.decode()
    assert Profile.objects.get(user=team.partner).email_frequency == Frequency.ESSENTIAL


@pytest.mark.parametrize("token", ["not-a-token", "1:abc:def"])
def test_a_tampered_unsubscribe_link_changes_nothing(team: StudyTeam, token: str) -> None:
    response = client_for(None).post(reverse("unsubscribe", args=[token]))
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert Profile.objects.get(user=team.partner).email_frequency == Frequency.IMMEDIATE


def test_an_old_unsubscribe_link_changes_nothing(team: StudyTeam, monkeypatch) -> None:
    token = unsubscribe_token(team.partner.pk)
    import portal.notifications.tokens as tokens

    monkeypatch.setattr(tokens, "MAX_AGE", -1)
    response = client_for(None).post(reverse("unsubscribe", args=[token]))
    assert response.status_code == 400
    assert Profile.objects.get(user=team.partner).email_frequency == Frequency.IMMEDIATE


def test_the_email_links_straight_to_the_review_and_to_unsubscribe(team: StudyTeam) -> None:
    opened = opened_for(team)
    notification_deliver(notification_id=opened.pk)
    message = mail.outbox[-1]
    assert "http://testserver" + opened.link in message.body
    html = message.alternatives[0][0]
    assert f'href="http://testserver{opened.link}"' in html
    assert "http://testserver/unsubscribe/" in message.body
