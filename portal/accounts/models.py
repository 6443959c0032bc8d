from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.naming import Acknowledgement as Acknowledgement
from portal.accounts.naming import name_seen
from portal.notifications.models import Frequency


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Roles are held per study, in engagement.Membership."""

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(
        _("name"), max_length=150, help_text=_("How your name appears to others in the portal.")
    )
    can_create_studies = models.BooleanField(
        _("can create studies"),
        default=False,
        help_text=_("Lets a PPIE lead start new studies, becoming their first coordinator."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("site admin"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Set once the person's personal data is erased; they are "Former partner N" from then on.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    former_number = models.PositiveIntegerField(null=True, blank=True, unique=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["display_name"]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.CheckConstraint(
                condition=Q(erased_at__isnull=True, former_number__isnull=True)
                | Q(erased_at__isnull=False, former_number__isnull=False),
                name="user_erased_has_number",
            ),
        ]

    def __str__(self) -> str:
        return self.name_seen or self.email

    @property
    def name_seen(self) -> str:
        """The name every page shows: see ``portal.accounts.naming``."""
        return name_seen(display_name=self.display_name, former_number=self.former_number)

    @property
    def is_erased(self) -> bool:
        return self.former_number is not None

    def get_full_name(self) -> str:
        return self.name_seen

    def get_short_name(self) -> str:
        return self.name_seen


class ContactMethod(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    POST = "post", _("Post")


class PaymentPreference(models.TextChoices):
    ACCEPT = "accept", _("Accept payment")
    REDUCE = "reduce", _("Accept a reduced payment")
    VOUCHERS = "vouchers", _("Accept payment as vouchers")
    DECLINE = "decline", _("Decline payment")


class Profile(models.Model):
    """What a person tells the team about how to work with them."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    preferred_name = models.CharField(
        _("what should we call you?"),
        max_length=150,
        blank=True,
        help_text=_("For example a first name, or a title and surname."),
    )
    pronouns = models.CharField(_("pronouns"), max_length=50, blank=True)
    accessibility_needs = models.TextField(
        _("access needs"),
        blank=True,
        help_text=_(
            "Anything that helps you take part: large print, a screen reader, step-free "
            "access, breaks in meetings, documents sent early."
        ),
    )
    contact_method = models.CharField(
        _("how would you like us to contact you?"),
        max_length=10,
        choices=ContactMethod.choices,
        default=ContactMethod.EMAIL,
    )
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    email_frequency = models.CharField(
        _("how often should we email you about reviews, answers and your contributions?"),
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.IMMEDIATE,
        help_text=_(
            "Everything also appears on your What's new page. Emails about your account, "
            "invitations and passwords always come."
        ),
    )
    acknowledgement = models.CharField(
        _("how should we acknowledge your involvement?"),
        max_length=10,
        choices=Acknowledgement.choices,
        default=Acknowledgement.NAMED,
    )
    payment_preference = models.CharField(
        _("payment for your time"),
        max_length=10,
        choices=PaymentPreference.choices,
        default=PaymentPreference.ACCEPT,
        help_text=_(
            "Some people on benefits prefer to reduce or decline payment. You can change "
            "this at any time."
        ),
    )
    payment_reduced_percent = models.PositiveSmallIntegerField(
        _("if reduced, what share of the usual payment (%)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("Only used if you choose a reduced payment."),
    )
    # When the first-visit questions were shown (after accepting an invitation); once only.
    welcomed_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def salutation(self) -> str:
        return self.preferred_name or self.user.display_name


class Erasure(models.Model):
    """The record that a person's personal data was erased: by whom, when, and what went.

    Its id is the N of "Former partner N", so the number never repeats.
    """

    person = models.OneToOneField(User, on_delete=models.PROTECT, related_name="erasure")
    erased_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # As it was when they erased: the eraser may be erased later too.
    erased_by_name = models.CharField(max_length=200)
    erased_at = models.DateTimeField(default=timezone.now)
    study_ids = models.JSONField(default=list)
    # What was removed, counted: {"notifications": 12, "drafts": 1, ...}.
    removed = models.JSONField(default=dict)
    # Receipts kept for finance law until this day, then removed by the daily task.
    receipts_kept_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-erased_at", "-id"]

    def __str__(self) -> str:
        return f"Erasure {self.pk}"


class SensitiveWhat(models.TextChoices):
    PROFILE = "profile", _("Profile")
    ACCESS_NEEDS = "access_needs", _("Access needs")
    CONTACT = "contact", _("Contact details")
    PAYMENT = "payment", _("Payment details")
    RECEIPT = "receipt", _("Receipt")
    PERSONAL_DATA = "personal_data", _("All their personal data")


class SensitiveVerb(models.TextChoices):
    VIEWED = "viewed", _("Viewed")
    CHANGED = "changed", _("Changed")
    DOWNLOADED = "downloaded", _("Downloaded")
    ERASED = "erased", _("Erased")


class SensitiveAccess(models.Model):
    """Who looked at or changed someone's sensitive records, and in which study.

    The study is an id, as in notifications: the base cannot refer to the apps' tables.
    """

    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    subject = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    study_id = models.PositiveBigIntegerField(null=True, blank=True)
    what = models.CharField(max_length=20, choices=SensitiveWhat.choices)
    verb = models.CharField(max_length=12, choices=SensitiveVerb.choices)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "sensitive access"
        indexes = [
            models.Index(fields=["study_id", "-at"], name="sensitive_by_study"),
            models.Index(fields=["subject", "-at"], name="sensitive_by_subject"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(what__in=SensitiveWhat.values), name="sensitive_what_valid"
            ),
            models.CheckConstraint(
                condition=Q(verb__in=SensitiveVerb.values), name="sensitive_verb_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verb_display()} {self.get_what_display()} at {self.at}"
