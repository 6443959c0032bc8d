"""Study documents, their immutable versions, review rounds, comments and responses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from engagement.models import Stage, Study


class DocumentKind(models.TextChoices):
    PROTOCOL = "protocol", _("Protocol")
    INFORMATION_SHEET = "information_sheet", _("Participant information sheet")
    CONSENT_FORM = "consent_form", _("Consent form")
    LAY_SUMMARY = "lay_summary", _("Lay summary")
    TOPIC_GUIDE = "topic_guide", _("Interview topic guide")
    DISSEMINATION = "dissemination", _("Dissemination material")
    OTHER = "other", _("Other")


class Document(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind of document"), max_length=20, choices=DocumentKind.choices)
    stage = models.ForeignKey(
        Stage,
        verbose_name=_("stage"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A new random value whenever anything the document's threads show changes: a comment,
    # reply, answer or placement on any of its versions, or the name of someone who wrote
    # one. Set by the database itself (see migration 0007), however the change was made, so
    # what is kept under it in the cache is never stale.
    threads_stamp = models.CharField(max_length=32, default="", editable=False)

    class Meta:
        ordering = ["study_id", "title", "id"]

    def __str__(self) -> str:
        return self.title


class VersionStatus(models.TextChoices):
    PREPARING = "preparing", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be shown")


def _original_path(version: Version, filename: str) -> str:
    # The stored name never comes from the uploader; the original name is kept in a field.
    return f"documents/{version.document.study_id}/{version.document_id}/v{version.number}.bin"


class Version(models.Model):
    """One uploaded file of a document. Once converted its content never changes."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    original = models.FileField(upload_to=_original_path, max_length=255)
    original_name = models.CharField(max_length=255)
    original_size = models.PositiveBigIntegerField(default=0)
    file_kind = models.CharField(max_length=10, blank=True)
    change_summary = models.TextField(
        _("what changed in this version"), blank=True, max_length=4000
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=10, choices=VersionStatus.choices, default=VersionStatus.PREPARING
    )
    failure_reason = models.TextField(blank=True)
    html = models.TextField(blank=True)
    # A long version's page in parts: [{"first", "last", "start", "end", "title"}], blocks and
    # character offsets into ``html``; empty when the page is shown whole.
    sections = models.JSONField(default=list, blank=True)
    blocks = models.JSONField(default=list, blank=True)
    # Each block's id and plain text, as JSON text (``documents.blocks.texts_encoded``): what a
    # page reads of the blocks, without their HTML, and as text, which PostgreSQL returns
    # several times faster than the same in jsonb.
    texts = models.TextField(blank=True, default="")
    readability = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["document_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="version_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


def _picture_path(picture: VersionPicture, filename: str) -> str:
    version = picture.version
    return (
        f"documents/{version.document.study_id}/{version.document_id}/"
        f"v{version.number}-pictures/{filename}"
    )


PICTURE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


class VersionPicture(models.Model):
    """A picture taken out of a version's document, served at its own address with the page.

    Its type was read from its bytes when the version was converted; like the version, it
    never changes.
    """

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="pictures")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=_picture_path, max_length=255)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["version_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="picture_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="picture_number_positive"),
            models.CheckConstraint(
                condition=Q(content_type__in=PICTURE_TYPES), name="picture_type_shown"
            ),
        ]

    def __str__(self) -> str:
        return f"Picture {self.number} of {self.version}"


def default_reminder_days() -> list[int]:
    return [3, 1]


class ReviewRound(models.Model):
    """A version opened for comment to chosen partners until a deadline."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="rounds")
    opens_at = models.DateTimeField(_("opens"))
    deadline = models.DateTimeField(_("deadline"))
    instructions = models.TextField(_("instructions for reviewers"), blank=True, max_length=4000)
    independent = models.BooleanField(
        _("independent review"),
        default=False,
        help_text=_("Each partner sees others' comments only after finishing their own review."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Days before the deadline on which partners who have not finished are reminded.
    reminder_days = models.JSONField(default=default_reminder_days, blank=True)

    class Meta:
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gt=F("opens_at")), name="round_deadline_after_opening"
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.version}"


class AssignmentState(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    FINISHED = "finished", _("Finished")


class Assignment(models.Model):
    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="assignments")
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_assignments"
    )
    state = models.CharField(
        max_length=12, choices=AssignmentState.choices, default=AssignmentState.NOT_STARTED
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    minutes_spent = models.PositiveIntegerField(null=True, blank=True)
    # The draft contribution proposed when the review was finished; documents holds the link.
    contribution = models.ForeignKey(
        "engagement.Contribution",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "partner"], name="assignment_once_per_round"),
            models.CheckConstraint(
                condition=Q(minutes_spent__isnull=True) | Q(minutes_spent__lte=24 * 60),
                name="assignment_minutes_within_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} reviewing {self.round}"


class Visibility(models.TextChoices):
    MEMBERS = "members", _("Everyone in the study")
    TEAM = "team", _("Only the research team")


class ThreadState(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    RESOLVED = "resolved", _("Resolved")
    CONFIRMED = "confirmed", _("Confirmed by the partner")


class Comment(models.Model):
    """A comment on a version (whole document, a block or a passage), or a reply in a thread."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="comments")
    round = models.ForeignKey(
        ReviewRound, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField(_("comment"), max_length=10_000)
    block_id = models.CharField(max_length=20, blank=True)
    selectors = models.JSONField(default=list, blank=True)
    quote = models.TextField(blank=True)
    visibility = models.CharField(
        _("who can see this"), max_length=10, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    state = models.CharField(max_length=10, choices=ThreadState.choices, default=ThreadState.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Brought in from a Word file: the key of the Word comment it came from, so that the same
    # file brought in again adds nothing twice.
    source_key = models.CharField(max_length=64, blank=True)
    # Set when a coordinator entered the comment on the author's behalf (by proxy), from a
    # Word file the author sent them. Kept like the author: the record says who entered it.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["version", "parent"])]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "author", "source_key"],
                condition=~Q(source_key=""),
                name="comment_imported_once",
            ),
            models.CheckConstraint(
                condition=Q(entered_by__isnull=True) | ~Q(entered_by=F("author")),
                name="comment_entered_by_someone_else",
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.version}"

    @property
    def is_thread(self) -> bool:
        return self.parent_id is None

    @property
    def by_proxy(self) -> bool:
        return self.entered_by_id is not None and self.entered_by_id != self.author_id


class CommentEdit(models.Model):
    """The text a comment had before each edit."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="edits")
    previous_body = models.TextField()
    edited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["edited_at", "id"]

    def __str__(self) -> str:
        return f"Edit of comment {self.comment_id}"


class CommentPlacement(models.Model):
    """Where an open thread from an earlier version sits in a later one."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="placements")
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="placements")
    block_id = models.CharField(max_length=20, blank=True)
    selectors = models.JSONField(default=list, blank=True)
    method = models.CharField(max_length=16)
    confidence = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "version"], name="placement_once_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.comment_id} in version {self.version_id}"


class WordImportState(models.TextChoices):
    WAITING = "waiting", _("Waiting to be checked")
    DONE = "done", _("Added")
    CANCELLED = "cancelled", _("Cancelled")


class WordImport(models.Model):
    """Comments found in a Word copy of a version, shown to the person before any is added."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="word_imports")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="word_imports"
    )
    # A coordinator bringing in a partner's comments: the partner they will be added for.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    filename = models.CharField(max_length=255)
    # [{"key", "kind", "author", "text", "parent", "block_id", "selectors", "method",
    #   "confidence", "quote"}], from documents.wordimport.propose
    proposals = models.JSONField(default=list)
    state = models.CharField(
        max_length=10, choices=WordImportState.choices, default=WordImportState.WAITING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Word comments from {self.filename} for {self.version}"


class CommentDraft(models.Model):
    """What a person is typing, saved as they type so that nothing is lost."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_drafts"
    )
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="drafts")
    key = models.CharField(max_length=64)
    block_id = models.CharField(max_length=20, blank=True)
    selectors = models.JSONField(default=list, blank=True)
    quote = models.TextField(blank=True)
    parent = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    body = models.TextField(max_length=10_000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["author", "version", "key"], name="draft_once_per_place"
            ),
        ]

    def __str__(self) -> str:
        return f"Draft by {self.author_id} on {self.version_id}"


class Outcome(models.TextChoices):
    CHANGED = "changed", _("Changed")
    PARTLY_CHANGED = "partly_changed", _("Partly changed")
    NOT_CHANGED = "not_changed", _("Not changed")
    NO_CHANGE_NEEDED = "no_change_needed", _("No change needed")


class Response(models.Model):
    """The team's answer to a thread: "you said, we did"."""

    comment = models.OneToOneField(Comment, on_delete=models.CASCADE, related_name="response")
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    body = models.TextField(_("what we did"), max_length=10_000)
    reason = models.TextField(_("why not"), blank=True, max_length=4000)
    changed_in = models.ForeignKey(
        Version,
        verbose_name=_("version with the change"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="not_changed") | ~Q(reason=""),
                name="response_not_changed_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Response to comment {self.comment_id}"
