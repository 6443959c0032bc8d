from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.permissions import Role, role_explained, role_phrase

# The research cycle a new study starts with; coordinators reshape it per study.
RESEARCH_CYCLE_STAGES: tuple[str, ...] = (
    "Identifying and prioritising",
    "Commissioning (funding)",
    "Designing and managing",
    "Undertaking",
    "Analysing and interpreting",
    "Disseminating",
    "Implementing",
    "Evaluating impact and sustaining use",
)


class StudyStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")


class Study(models.Model):
    title = models.CharField(_("title"), max_length=200)
    lay_summary = models.TextField(
        _("short lay summary"),
        max_length=2000,
        help_text=_("A few sentences in plain English: what the study is about and why."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=StudyStatus.choices, default=StudyStatus.PLANNING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    response_reminder_days = models.PositiveSmallIntegerField(
        _("remind the team of comments with no answer after (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )

    class Meta:
        verbose_name_plural = "studies"
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class Membership(models.Model):
    """A person's role in one study. Ending it keeps the row, with a left date."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    joined_on = models.DateField(_("joined"), default=timezone.localdate)
    left_on = models.DateField(_("left"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["study_id", "user__display_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "study"],
                condition=Q(left_on__isnull=True),
                name="membership_one_current_per_study",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="membership_left_after_joined",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} in {self.study}"

    @property
    def is_current(self) -> bool:
        return self.left_on is None


class Stage(models.Model):
    """A named, ordered phase of a study. Anything that refers to one protects it."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["study_id", "position", "id"]
        constraints = [
            models.UniqueConstraint("study", Lower("name"), name="stage_name_unique_per_study"),
        ]

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    """An emailed, single-use offer to join a study in a role."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    message = models.TextField(
        _("personal message"),
        blank=True,
        max_length=2000,
        help_text=_("Optional. Included in the email, for example why you are inviting them."),
    )
    nonce = models.CharField(max_length=64)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.TextField(blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.study}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def role_phrase(self) -> str:
        return role_phrase(self.role)

    @property
    def role_explained(self) -> str:
        return role_explained(self.role)

    def has_expired(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at
