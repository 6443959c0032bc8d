"""How the invitation task treats mail servers that fail, for a while or for good."""

import smtplib
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail

from engagement.models import Invitation
from engagement.tasks import invitation_send
from portal.email import is_temporary_mail_error, retry_delay
from portal.permissions import Role
from tests.factories import InvitationFactory, UserFactory


@pytest.mark.parametrize(
    ("error", "temporary"),
    [
        (smtplib.SMTPResponseException(451, b"try later"), True),
        (smtplib.SMTPResponseException(550, b"no such user"), False),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no")}), False),
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (OSError("name or service not known"), True),
    ],
)
def test_it_tells_temporary_mail_failures_from_permanent_ones(error, temporary):
    assert is_temporary_mail_error(error) is temporary


def test_it_waits_longer_after_each_failure_up_to_an_hour():
    delays = [retry_delay(n) for n in range(10)]
    assert delays[:3] == [30, 60, 120]
    assert delays == sorted(delays)
    assert delays[-1] == 3600


def test_a_temporary_failure_releases_the_invitation_and_retries(db):
    invitation = InvitationFactory(invited_by=UserFactory())
    failure = smtplib.SMTPResponseException(421, b"busy")
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=failure),
        mock.patch.object(invitation_send, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        invitation_send.run(invitation.pk)

    retry.assert_called_once()
    invitation.refresh_from_db()
    assert invitation.sent_at is None
    assert invitation.send_error == ""


def test_a_failure_after_the_last_retry_is_recorded_not_dropped(db):
    invitation = InvitationFactory(invited_by=UserFactory())
    failure = smtplib.SMTPServerDisconnected("gone")
    invitation_send.push_request(retries=invitation_send.max_retries)
    try:
        with mock.patch("django.core.mail.EmailMessage.send", side_effect=failure):
            invitation_send.run(invitation.pk)
    finally:
        invitation_send.pop_request()

    invitation.refresh_from_db()
    assert invitation.sent_at is None
    assert "could not be delivered" in invitation.send_error


def test_a_withdrawn_invitation_is_not_sent(db):
    invitation = InvitationFactory(invited_by=UserFactory())
    Invitation.objects.filter(pk=invitation.pk).update(revoked_at=invitation.created_at)
    invitation_send.run(invitation.pk)
    assert mail.outbox == []


def test_the_subject_keeps_an_apostrophe_in_the_study_title(db):
    invitation = InvitationFactory(invited_by=UserFactory(), study__title="Carers' voices")
    invitation_send.run(invitation.pk)
    assert mail.outbox[0].subject == "You are invited to take part in “Carers' voices”"
    assert "as a PPIE partner" in mail.outbox[0].body


def test_a_partners_invitation_says_what_a_ppie_partner_is_and_the_teams_does_not(db):
    InvitationFactory(invited_by=UserFactory(), role=Role.PARTNER)
    InvitationFactory(invited_by=UserFactory(), role=Role.RESEARCHER)
    for invitation in Invitation.objects.order_by("pk"):
        invitation_send.run(invitation.pk)
    partner, researcher = mail.outbox
    explained = "PPIE stands for patient and public involvement and engagement."
    assert explained in partner.body
    assert "\n\nPPIE stands for" in partner.body
    assert explained in partner.alternatives[0][0]
    assert "the team tells you what they did with it." in partner.body
    assert "PPIE stands for" not in researcher.body
    assert "as a researcher" in researcher.body
