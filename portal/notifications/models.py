"""One row per message a person is sent: in "What's new", and by email as they prefer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ROUND_OPENED = "round_opened", _("A review has opened")
    DEADLINE_NEAR = "deadline_near", _("A review deadline is near")
    DEADLINE_PASSED = "deadline_passed", _("A review deadline has passed")
    ROUND_OVERDUE = "round_overdue", _("Reviews not finished by the deadline")
    REVIEW_REMINDER = "review_reminder", _("A reminder from the study team")
    COMMENT_ANSWERED = "comment_answered", _("Your comment was answered")
    THREAD_REPLY = "thread_reply", _("A reply in your conversation")
    CONTRIBUTION_APPROVED = "contribution_approved", _("Your contribution was approved")
    CONTRIBUTION_RETURNED = "contribution_returned", _("Your contribution was returned")
    CONTRIBUTION_PAID = "contribution_paid", _("Your contribution was paid")
    LOG_READY = "log_ready", _("An involvement log you asked for is ready")
    LOG_MADE_FOR_YOU = "log_made_for_you", _("A coordinator made an involvement log for you")
    LOG_WITHDRAWN = "log_withdrawn", _("Your involvement log was withdrawn")
    COMMENTS_ENTERED_FOR_YOU = (
        "comments_entered_for_you",
        _("A coordinator added your comments for you"),
    )
    TEAM_DIGEST = "team_digest", _("What is waiting for the study team")
    DIGEST = "digest", _("Your summary of what is new")


class Delivery(models.TextChoices):
    PENDING = "pending", _("Waiting to be emailed")
    HELD = "held", _("Waiting for the person's summary email")
    SENDING = "sending", _("Being emailed")
    SENT = "sent", _("Emailed")
    IN_DIGEST = "in_digest", _("Emailed in a summary")
    NOT_EMAILED = "not_emailed", _("Not emailed: the person chose essential emails only")
    FAILED = "failed", _("Could not be emailed")
    SKIPPED = "skipped", _("Not sent: no longer relevant")


class Frequency(models.TextChoices):
    """How often a person wants email about what is new (essential email always goes)."""

    IMMEDIATE = "immediate", _("As it happens")
    DAILY = "daily", _("One summary a day")
    WEEKLY = "weekly", _("One summary a week")
    ESSENTIAL = "essential", _("Only essential emails (account, invitations, passwords)")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # What it is about, as a type name and id: the apps above the base own those tables.
    object_type = models.CharField(max_length=32)
    object_id = models.PositiveBigIntegerField()
    # Which time it is about the same thing: "3d", "1d", "passed", a response id, a date.
    occasion = models.CharField(max_length=64, blank=True, default="")
    study_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    title = models.CharField(max_length=300)
    link = models.CharField(max_length=500)
    subject = models.CharField(max_length=300)
    text_body = models.TextField()
    html_body = models.TextField()
    attachments = models.JSONField(default=list, blank=True)
    essential = models.BooleanField(default=False)
    delivery = models.CharField(max_length=12, choices=Delivery.choices, default=Delivery.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Who is sending it now: the claim a worker made, so it reads back only its own rows.
    claim = models.CharField(max_length=32, blank=True, default="", db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The conversation a reply to this email joins (a comment id: the apps own that table);
    # empty when the email is not about one, or replying by email was not offered.
    reply_thread_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "object_type", "object_id", "occasion"],
                name="notification_once",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["delivery", "queued_at"], name="notification_to_send"),
            models.Index(fields=["object_type", "object_id"], name="notification_about"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient_id}"


class InboundOutcome(models.TextChoices):
    POSTED = "posted", _("Posted in the conversation")
    AUTOMATIC = "automatic", _("Ignored: an automatic reply or a bounce")
    NOT_FOR_US = "not_for_us", _("Refused: not sent to a reply address")
    FORGED = "forged", _("Refused: the reply address is not one the portal gave")
    EXPIRED = "expired", _("Refused: the email replied to is too old")
    WRONG_SENDER = "wrong_sender", _("Refused: sent from another address than the person's")
    NOT_VISIBLE = "not_visible", _("Refused: the person can no longer see the conversation")
    ROUND_CLOSED = "round_closed", _("Refused: the review round has closed")
    REFUSED = "refused", _("Refused by the conversation's rules")
    UNREADABLE = "unreadable", _("Refused: no words could be read from it")
    TOO_LONG = "too_long", _("Refused: longer than a comment may be")


class InboundMail(models.Model):
    """One email received at a reply address and what became of it, once per message.

    The body is not kept: what was posted is in the conversation, and a refused reply goes
    back to its sender in the explanation.
    """

    # A digest of the Message-ID (or of the whole message when it has none): the same
    # message delivered twice is handled once.
    message_key = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(max_length=255, blank=True)
    via = models.CharField(max_length=32)
    sender = models.CharField(max_length=254, blank=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The conversation and the reply posted in it, as ids: the apps own those tables.
    thread_id = models.PositiveBigIntegerField(null=True, blank=True)
    comment_id = models.PositiveBigIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=InboundOutcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    explained = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["sender", "received_at"], name="inbound_by_sender")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.received_at:%Y-%m-%d %H:%M})"
