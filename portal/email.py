"""The one way the portal sends email: rendered from three templates, delivered by a task."""

from __future__ import annotations

import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string


def email_render(
    *, template: str, to: list[str], context: dict[str, Any]
) -> EmailMultiAlternatives:
    """Build a message from emails/<template>_subject.txt, _message.txt and _message.html."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    # Subjects are plain text: an apostrophe in a study title must not arrive as &#x27;.
    subject: str = render_to_string(f"emails/{template}_subject.txt", context)
    subject = " ".join(subject.split())
    text = render_to_string(f"emails/{template}_message.txt", context)
    html = render_to_string(f"emails/{template}_message.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    message.attach_alternative(html, "text/html")
    return message


def message_to_dict(message: EmailMessage) -> dict[str, Any]:
    alternatives = getattr(message, "alternatives", [])
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "html": next((str(c) for c, mime in alternatives if mime == "text/html"), None),
        "headers": dict(message.extra_headers),
    }


def message_from_dict(data: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        headers=data.get("headers") or {},
    )
    if data.get("html"):
        message.attach_alternative(data["html"], "text/html")
    return message


def email_send_later(message: EmailMessage) -> None:
    """Queue delivery once the surrounding transaction has committed."""
    from portal.tasks import email_deliver

    payload = message_to_dict(message)
    transaction.on_commit(lambda: email_deliver.delay(payload))


class TemporaryMailError(Exception):
    """The mail server could not take the message now; trying again later may work."""


class PermanentMailError(Exception):
    """The message will not be delivered (a refused address, a 5xx reply, or no more tries).

    Its text is safe to show a coordinator.
    """


def email_send_now(message: EmailMessage, *, last_try: bool = False) -> None:
    """Hand the message to the mail server, or say whether a later try may succeed."""
    try:
        message.send()
    except Exception as error:
        if not isinstance(error, (smtplib.SMTPException, OSError)) and not _from_provider(error):
            raise
        if is_temporary_mail_error(error) and not last_try:
            raise TemporaryMailError(str(error)) from error
        raise PermanentMailError(
            f"The email could not be delivered: {mail_error_reason(error)} "
            f"({error.__class__.__name__})."
        ) from error


def _from_provider(error: Exception) -> bool:
    """Whether the error is an email provider's API answering (django-anymail)."""
    return type(error).__module__.startswith("anymail.")


def _provider_status(error: Exception) -> int | None:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def mail_error_reason(error: Exception) -> str:
    """Why a message was not delivered, in words a coordinator can act on."""
    if _from_provider(error):
        if type(error).__name__ == "AnymailRecipientsRefused":
            return "the address was refused"
        status = _provider_status(error)
        if status is None:
            return "the email provider could not be reached"
        return f"the email provider refused it ({status})"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "the address was refused"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return "the mail server refused our sender address"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"the mail server refused it ({error.smtp_code})"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the mail server kept disconnecting"
    return "the mail server could not be reached"


def is_temporary_mail_error(error: Exception) -> bool:
    """Whether trying again later may succeed: a 4xx reply, a dropped or failed connection;
    from a provider's API, no answer, "too many requests" or a fault on its side (5xx)."""
    if _from_provider(error):
        if type(error).__name__ in {"AnymailRecipientsRefused", "AnymailInvalidAddress"}:
            return False
        status = _provider_status(error)
        return status is None or status == 429 or status >= 500
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPException):
        return False  # refused recipients, bad sender and the like will not change
    return isinstance(error, OSError)


RETRY_FIRST_DELAY = 30
RETRY_LONGEST_DELAY = 3600


def retry_delay(retries: int) -> int:
    """Seconds before the next try: 30 s, 1 min, 2 min … up to an hour."""
    return int(min(RETRY_FIRST_DELAY * 2**retries, RETRY_LONGEST_DELAY))
