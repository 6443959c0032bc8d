"""Every task that sends mail shares one retry policy, and records what it could not send."""

import smtplib
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail

from engagement.tasks import invitation_send
from portal.email import PermanentMailError, TemporaryMailError, email_send_now, retry_delay
from portal.tasks import MailTask, email_deliver


def test_mail_tasks_retry_with_the_documented_delays_and_are_acknowledged_late():
    for task in (email_deliver, invitation_send):
        assert isinstance(task, MailTask)
        assert task.acks_late is True
        assert task.autoretry_for == (TemporaryMailError,)
        assert task.max_retries == 8
    # Celery's backoff (factor × 2^retries, capped) is the schedule retry_delay documents.
    assert [min(MailTask.retry_backoff * 2**n, MailTask.retry_backoff_max) for n in range(9)] == [
        retry_delay(n) for n in range(9)
    ]


def test_sending_now_tells_a_temporary_failure_from_a_permanent_one():
    message = mail.EmailMessage("Hi", "Body", to=["pat@example.org"])
    busy = smtplib.SMTPResponseException(421, b"busy")
    refused = smtplib.SMTPRecipientsRefused({"pat@example.org": (550, b"no such user")})
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=busy):
        with pytest.raises(TemporaryMailError):
            email_send_now(message)
        with pytest.raises(PermanentMailError, match="could not be delivered"):
            email_send_now(message, last_try=True)
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=refused),
        pytest.raises(PermanentMailError, match="SMTPRecipientsRefused"),
    ):
        email_send_now(message)


def test_an_account_email_is_retried_after_a_temporary_failure():
    payload = {"subject": "Reset", "body": "Link", "from_email": "a@b.c", "to": ["p@b.c"]}
    failure = smtplib.SMTPServerDisconnected("gone")
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=failure),
        mock.patch.object(email_deliver, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        email_deliver.run(payload)
    retry.assert_called_once()


def test_an_account_email_that_cannot_be_delivered_is_logged_not_retried(caplog):
    payload = {"subject": "Reset", "body": "Link", "from_email": "a@b.c", "to": ["p@b.c"]}
    refused = smtplib.SMTPRecipientsRefused({"p@b.c": (550, b"no")})
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=refused),
        mock.patch.object(email_deliver, "retry") as retry,
    ):
        email_deliver.run(payload)
    retry.assert_not_called()
    assert "could not be delivered" in caplog.text


def test_an_account_email_is_delivered():
    payload = {
        "subject": "Reset",
        "body": "Link",
        "from_email": "a@b.c",
        "to": ["p@b.c"],
        "html": "<p>Link</p>",
    }
    email_deliver.run(payload)
    assert [m.subject for m in mail.outbox] == ["Reset"]
    assert mail.outbox[0].alternatives[0][1] == "text/html"


def test_an_email_providers_api_failures_are_told_apart_as_smtp_ones_are(settings):
    """Through django-anymail's own backend for tests: what the provider says decides."""
    from types import SimpleNamespace

    from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    message = mail.EmailMessage("Hi", "Body", "team@example.org", to=["pat@example.org"])
    email_send_now(message)
    assert message.anymail_test_params["to"][0].addr_spec == "pat@example.org"

    def failing(status):
        return AnymailAPIError("no", response=SimpleNamespace(status_code=status, text=""))

    for temporary in (failing(503), failing(429), AnymailAPIError("no answer")):
        with mock.patch("django.core.mail.EmailMessage.send", side_effect=temporary):
            with pytest.raises(TemporaryMailError):
                email_send_now(message)
            with pytest.raises(PermanentMailError, match="could not be delivered"):
                email_send_now(message, last_try=True)
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=failing(422)),
        pytest.raises(PermanentMailError, match=r"the email provider refused it \(422\)"),
    ):
        email_send_now(message)
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=AnymailRecipientsRefused()),
        pytest.raises(PermanentMailError, match="the address was refused"),
    ):
        email_send_now(message)
    # Anything else is a fault of ours, not a delivery problem: it is not swallowed.
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=KeyError("bug")),
        pytest.raises(KeyError),
    ):
        email_send_now(message)
