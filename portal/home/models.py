"""Documents the portal issues: partners' involvement logs and studies' involvement reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class LogState(models.TextChoices):
    BUILDING = "building", _("Being built")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be built")


def _log_path(log: InvolvementLog, filename: str) -> str:
    # The stored name never comes from anyone's input; one file per try at building it.
    return f"logs/{log.holder_id}/{log.code}-{log.attempt}.pdf"


class InvolvementLog(models.Model):
    """One issued log: what it covered, who it is for and how to check it is genuine.

    The record outlives its file: the file is removed after ``LOG_KEEP_DAYS``, but the
    verification page still confirms the code, the period and the digest of what was issued.
    """

    code = models.CharField(max_length=32, unique=True)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="involvement_logs"
    )
    # The name as the holder chose to be named when it was issued: the page must not change
    # what a printed log says if the person later renames themselves.
    holder_name = models.CharField(max_length=200)
    produced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    produced_by_name = models.CharField(max_length=200)
    period_start = models.DateField()
    period_end = models.DateField()
    study_ids = models.JSONField(default=list)
    study_titles = models.JSONField(default=list)
    include_payments = models.BooleanField(default=False)
    entries = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=LogState.choices, default=LogState.BUILDING)
    failure = models.TextField(blank=True)
    # Each try at building is numbered: only the build of the current try may finish it, so a
    # task delivered twice, or an old build after "Try again", cannot overwrite the log.
    attempt = models.PositiveIntegerField(default=1)
    build_started_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    digest = models.CharField(max_length=64, blank=True)
    pages = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=_log_path, blank=True, max_length=255)
    file_removed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["holder", "requested_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="log_period_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(state="ready") | ~Q(digest=""), name="log_ready_has_digest"
            ),
        ]

    def __str__(self) -> str:
        return f"Involvement log {self.code} for {self.holder_name}"

    @property
    def by_proxy(self) -> bool:
        return self.produced_by_id is not None and self.produced_by_id != self.holder_id

    @property
    def downloadable(self) -> bool:
        return (
            self.state == LogState.READY
            and self.withdrawn_at is None
            and bool(self.file)
            and self.file_removed_at is None
        )


class StudyReport(models.Model):
    """The narrative of a study's involvement report (GRIPP2-SF), kept between visits."""

    study = models.OneToOneField(
        "engagement.Study", on_delete=models.CASCADE, related_name="involvement_report"
    )
    aim = models.TextField(
        _("1. Aim"),
        blank=True,
        max_length=10_000,
        help_text=_("What the involvement of patients and the public in this study set out to do."),
    )
    methods = models.TextField(
        _("2. Methods"),
        blank=True,
        max_length=10_000,
        help_text=_("Who was involved, how they were found, and how they took part."),
    )
    results = models.TextField(
        _("3. Results"),
        blank=True,
        max_length=10_000,
        help_text=_("What came of the involvement, positive and negative, at each stage."),
    )
    discussion = models.TextField(
        _("4. Discussion"),
        blank=True,
        max_length=10_000,
        help_text=_("How far partners' input influenced the study, and what helped or hindered."),
    )
    reflections = models.TextField(
        _("5. Reflections"),
        blank=True,
        max_length=10_000,
        help_text=_("What went well, what did not, and what you would do differently."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    def __str__(self) -> str:
        return f"Involvement report of {self.study}"
