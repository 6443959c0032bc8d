"""Recording notifications, each once, and delivering them, each exactly once.

A notification is recorded with a unique key (recipient, kind, object, occasion): recording
the same one again changes nothing. Delivery claims the row with a guarded update before it
sends, so two workers, or two overlapping scans, never send the same message twice. What is
recorded but not yet handed to a worker (a broker that was down, a worker that died) is
found by the next dispatch.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from portal.accounts.models import Profile, User
from portal.email import PermanentMailError, TemporaryMailError, email_render, email_send_now
from portal.notifications.models import Delivery, Frequency, Kind, Notification
from portal.notifications.relevance import not_relevant
from portal.notifications.replies import replies_enabled, reply_address
from portal.notifications.tokens import unsubscribe_url

logger = logging.getLogger(__name__)
# A row handed to a worker that has not been sent by then is handed out again.
STALE_AFTER = dt.timedelta(minutes=10)
DISPATCH_LIMIT = 20_000


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: str
    mimetype: str


@dataclass
class Message:
    """A notification to record: who, about what, and the email that tells them."""

    recipient: User
    kind: str
    object_type: str
    object_id: int
    title: str
    link: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    occasion: str = ""
    study_id: int | None = None
    essential: bool = False
    attachments: Sequence[Attachment] = ()
    # The conversation the person may answer by replying to the email (a comment id).
    reply_thread_id: int | None = None

    @property
    def reply_by_email(self) -> bool:
        return self.reply_thread_id is not None and replies_enabled()


def absolute(link: str) -> str:
    return settings.SITE_URL + link if link.startswith("/") else link


def frequency_of(user: User) -> str:
    try:
        profile = user.profile
    except Profile.DoesNotExist:
        return Frequency.IMMEDIATE
    return str(profile.email_frequency)


def _delivery(message: Message) -> str:
    if message.essential or message.kind == Kind.DIGEST:
        return Delivery.PENDING
    return {  # type: ignore[no-any-return]
        Frequency.IMMEDIATE: Delivery.PENDING,
        Frequency.DAILY: Delivery.HELD,
        Frequency.WEEKLY: Delivery.HELD,
    }.get(frequency_of(message.recipient), Delivery.NOT_EMAILED)  # type: ignore[call-overload]


@functools.cache
def _site_links() -> dict[str, str]:
    return {
        "preferences_url": absolute(reverse("profile")),
        "whats_new_url": absolute(reverse("whats_new")),
    }


class _Rendered:
    """A message's email rendered once for everyone who gets the same words: the person's
    name and unsubscribe link are stand-ins, filled in for each of them."""

    def __init__(self, message: Message) -> None:
        self.mark = secrets.token_hex(8)
        name, unsubscribe = f"NAME{self.mark}", f"UNSUBSCRIBE{self.mark}"
        context = {
            **message.context,
            "recipient": {"display_name": name},
            "title": message.title,
            "link_url": absolute(message.link),
            **_site_links(),
            "unsubscribe_url": "" if message.essential else unsubscribe,
            "reply_by_email": message.reply_by_email,
        }
        email = email_render(template=f"notifications/{message.template}", to=[], context=context)
        self.subject = str(email.subject)
        self.text = str(email.body)
        self.html = next((str(c) for c, mime in email.alternatives if mime == "text/html"), "")

    def for_person(self, user: User, essential: bool) -> tuple[str, str, str]:
        unsubscribe = "" if essential else unsubscribe_url(user.pk)
        name = user.display_name or user.email

        def fill(text: str, name_value: str) -> str:
            return text.replace(f"NAME{self.mark}", name_value).replace(
                f"UNSUBSCRIBE{self.mark}", unsubscribe
            )

        return fill(self.subject, name), fill(self.text, name), fill(self.html, escape(name))


def _row(message: Message, rendered: _Rendered) -> Notification:
    subject, text, html = rendered.for_person(message.recipient, message.essential)
    return Notification(
        recipient=message.recipient,
        kind=message.kind,
        object_type=message.object_type,
        object_id=message.object_id,
        occasion=message.occasion,
        study_id=message.study_id,
        title=message.title[:300],
        link=message.link[:500],
        essential=message.essential,
        delivery=_delivery(message),
        attachments=[a.__dict__ for a in message.attachments],
        reply_thread_id=message.reply_thread_id if message.reply_by_email else None,
        subject=subject[:300],
        text_body=text,
        html_body=html,
    )


def notifications_record(messages: Iterable[Message]) -> int:
    """Record each message once; one already recorded is left as it is.

    Returns how many were offered. Delivery is queued once the transaction commits.
    """
    # Messages that share their words (the same context object, say one round's partners)
    # are rendered once.
    rendered: dict[tuple[str, int, str, bool, bool], _Rendered] = {}
    rows = []
    for message in messages:
        if message.recipient.former_number is not None:
            continue  # their personal data was erased: nothing more is kept for them
        key = (
            message.template,
            id(message.context),
            message.title,
            message.essential,
            message.reply_by_email,
        )
        if key not in rendered:
            rendered[key] = _Rendered(message)
        rows.append(_row(message, rendered[key]))
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    transaction.on_commit(_dispatch_soon)
    return len(rows)


def _dispatch_soon() -> None:
    from portal.notifications.tasks import notifications_dispatch

    try:
        notifications_dispatch.delay()
    except Exception:
        # Recorded rows wait for the next scan, which dispatches them.
        logger.warning("Notifications recorded but not queued; the next scan sends them.")


def notifications_to_dispatch(*, now: dt.datetime | None = None) -> list[int]:
    """Pending notifications not yet handed to a worker, or handed out too long ago; each is
    marked as handed out now. A row stuck being sent by a worker that died is pending again."""
    now = now or timezone.now()
    Notification.objects.filter(delivery=Delivery.SENDING, claimed_at__lt=now - STALE_AFTER).update(
        delivery=Delivery.PENDING, queued_at=None, claim=""
    )
    ids = list(
        Notification.objects.filter(delivery=Delivery.PENDING)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - STALE_AFTER))
        .order_by("id")
        .values_list("id", flat=True)[:DISPATCH_LIMIT]
    )
    if ids:
        Notification.objects.filter(pk__in=ids, delivery=Delivery.PENDING).update(queued_at=now)
    return ids


def _email(notification: Notification) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
    )
    if notification.html_body:
        message.attach_alternative(notification.html_body, "text/html")
    for attachment in notification.attachments:
        message.attach(attachment["filename"], attachment["content"], attachment["mimetype"])
    if notification.reply_thread_id is not None and replies_enabled():
        # Made as it is sent, so the reply's age is counted from this email.
        message.reply_to = [
            reply_address(user_id=notification.recipient_id, thread_id=notification.reply_thread_id)
        ]
    if not notification.essential:
        url = unsubscribe_url(notification.recipient_id)
        message.extra_headers["List-Unsubscribe"] = f"<{url}>"
        message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def notifications_deliver(
    *, notification_ids: Sequence[int], last_try: bool = False
) -> dict[str, int]:
    """Send those of the notifications nobody else has claimed, over one mail connection.

    Returns how many were sent, failed or skipped. A temporary mail failure puts the unsent
    ones back as pending and raises ``TemporaryMailError`` for the task to try again later;
    a permanent one (a refused address) is recorded on that notification, for the team.
    """
    claim = uuid.uuid4().hex
    claimed = Notification.objects.filter(
        pk__in=list(notification_ids), delivery=Delivery.PENDING
    ).update(
        delivery=Delivery.SENDING,
        claim=claim,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    outcome: dict[str, int] = {Delivery.SENT: 0, Delivery.FAILED: 0, Delivery.SKIPPED: 0}
    if not claimed:
        return outcome
    mine = list(Notification.objects.filter(claim=claim).select_related("recipient").order_by("id"))
    reasons = not_relevant(mine)
    for notification in mine:
        if not notification.recipient.is_active:
            reasons[notification.pk] = "the account is closed"
    for reason in set(reasons.values()):
        ids = [pk for pk, why in reasons.items() if why == reason]
        Notification.objects.filter(pk__in=ids, claim=claim).update(
            delivery=Delivery.SKIPPED, error=reason[:300]
        )
    outcome[Delivery.SKIPPED] = len(reasons)
    to_send = [n for n in mine if n.pk not in reasons]
    sent: list[int] = []
    connection = get_connection()
    try:
        for index, notification in enumerate(to_send):
            message = _email(notification)
            message.connection = connection
            try:
                email_send_now(message, last_try=last_try)
            except TemporaryMailError:
                unsent = [n.pk for n in to_send[index:]]
                Notification.objects.filter(pk__in=unsent, claim=claim).update(
                    delivery=Delivery.PENDING, queued_at=timezone.now(), claim=""
                )
                raise
            except PermanentMailError as error:
                logger.warning("Notification %s could not be delivered: %s", notification.pk, error)
                Notification.objects.filter(pk=notification.pk, claim=claim).update(
                    delivery=Delivery.FAILED, error=str(error)[:300]
                )
                outcome[Delivery.FAILED] += 1
            else:
                sent.append(notification.pk)
    finally:
        if sent:
            Notification.objects.filter(pk__in=sent, claim=claim).update(
                delivery=Delivery.SENT, sent_at=timezone.now(), error=""
            )
        connection.close()
    outcome[Delivery.SENT] = len(sent)
    return outcome


def notification_deliver(*, notification_id: int, last_try: bool = False) -> str:
    """Send one notification if nobody else has; returns what became of it ("" if nothing)."""
    outcome = notifications_deliver(notification_ids=[notification_id], last_try=last_try)
    return next((state for state, count in outcome.items() if count), "")


# --- reading them in the portal ------------------------------------------------------------


def notification_open(*, user: User, notification_id: int) -> Notification | None:
    """The person's own notification, marked as read."""
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_read_all(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- summaries for those who asked for them ------------------------------------------------


def period_key(frequency: str, now: dt.datetime) -> str:
    """The day, or the ISO week, a summary covers: "2026-12-01", "2026-W49"."""
    local = timezone.localtime(now).date()
    if frequency == Frequency.WEEKLY:
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return local.isoformat()


@transaction.atomic
def digest_record(*, recipient: User, frequency: str, now: dt.datetime) -> Notification | None:
    """Gather what waits for the person's summary into one email, once per day or week."""
    held = list(
        Notification.objects.select_for_update()
        .filter(recipient=recipient, delivery=Delivery.HELD, created_at__lte=now)
        .order_by("created_at", "id")
    )
    if not held:
        return None
    key = period_key(frequency, now)
    if Notification.objects.filter(
        recipient=recipient, kind=Kind.DIGEST, object_type="user", occasion=key
    ).exists():
        return None
    notifications_record(
        [
            Message(
                recipient=recipient,
                kind=Kind.DIGEST,
                object_type="user",
                object_id=recipient.pk,
                occasion=key,
                title=f"Your summary: {len(held)} new",
                link=reverse("whats_new"),
                template="digest",
                context={
                    "items": [(n.title, absolute(n.link)) for n in held],
                    "weekly": frequency == Frequency.WEEKLY,
                },
            )
        ]
    )
    Notification.objects.filter(pk__in=[n.pk for n in held]).update(
        delivery=Delivery.IN_DIGEST, sent_at=now
    )
    return Notification.objects.get(
        recipient=recipient, kind=Kind.DIGEST, object_type="user", occasion=key
    )


def digests_record(*, frequency: str, now: dt.datetime | None = None) -> int:
    """A summary for everyone who chose this frequency and has something waiting."""
    now = now or timezone.now()
    recipients = User.objects.filter(
        profile__email_frequency=frequency,
        notifications__delivery=Delivery.HELD,
    ).distinct()
    made = 0
    for recipient in recipients:
        if digest_record(recipient=recipient, frequency=frequency, now=now) is not None:
            made += 1
    return made
