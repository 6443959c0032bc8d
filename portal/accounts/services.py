"""Writes about people and their accounts."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from portal.accounts.models import Profile, SensitiveAccess, SensitiveVerb, SensitiveWhat, User


@transaction.atomic
def user_create(*, email: str, display_name: str, password: str | None, verified: bool) -> User:
    """Create a person with a profile and, when proven, a verified primary email."""
    user = User(email=User.objects.normalize_email(email).strip(), display_name=display_name)
    if password is not None:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    Profile.objects.create(user=user)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


def profile_for(user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


PROFILE_FIELDS = (
    "preferred_name",
    "pronouns",
    "accessibility_needs",
    "contact_method",
    "phone",
    "email_frequency",
    "acknowledgement",
    "payment_preference",
    "payment_reduced_percent",
)


# Which sensitive record a profile field belongs to, for the record of who changed what.
SENSITIVE_FIELDS = {
    "accessibility_needs": SensitiveWhat.ACCESS_NEEDS,
    "phone": SensitiveWhat.CONTACT,
    "contact_method": SensitiveWhat.CONTACT,
    "payment_preference": SensitiveWhat.PAYMENT,
    "payment_reduced_percent": SensitiveWhat.PAYMENT,
}


@transaction.atomic
def profile_update(
    *, profile: Profile, display_name: str, by: User | None = None, **fields: object
) -> Profile:
    """Change a person's name and profile; only the profile's own fields are taken.

    Each kind of sensitive record that changed is written to the access record.
    """
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Not profile fields: {sorted(unknown)}")
    user = profile.user
    # Compared with what is stored: a bound ModelForm has already set its values on the row.
    stored = Profile.objects.filter(pk=profile.pk).values(*fields).first() or {}
    stored_name = User.objects.filter(pk=user.pk).values_list("display_name", flat=True).first()
    changed: set[SensitiveWhat] = set()
    if stored_name != display_name.strip():
        changed.add(SensitiveWhat.PROFILE)
    user.display_name = display_name.strip()
    user.save(update_fields=["display_name"])
    for name, value in fields.items():
        if name not in stored or stored[name] != value:
            changed.add(SENSITIVE_FIELDS.get(name, SensitiveWhat.PROFILE))
        setattr(profile, name, value)
    profile.save()
    for what in sorted(changed):
        sensitive_access_record(by=by or user, subject=user, what=what, verb=SensitiveVerb.CHANGED)
    return profile


def sensitive_access_record(
    *,
    by: User | None,
    subject: User | None,
    what: SensitiveWhat,
    verb: SensitiveVerb,
    study_id: int | None = None,
    detail: str = "",
) -> SensitiveAccess:
    """Write down that someone viewed or changed a person's sensitive record."""
    return SensitiveAccess.objects.create(
        by=by, subject=subject, study_id=study_id, what=what, verb=verb, detail=detail[:200]
    )


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def user_owns_email(user: User, email: str) -> bool:
    """Whether the address is the account's login or one of its verified addresses."""
    email = email.strip()
    if user.email.lower() == email.lower():
        return True
    verified: bool = EmailAddress.objects.filter(
        user=user, email__iexact=email, verified=True
    ).exists()
    return verified


def profile_welcomed(*, profile: Profile) -> Profile:
    """Remember that the first-visit questions were shown, so they are shown only once."""
    if profile.welcomed_at is None:
        profile.welcomed_at = timezone.now()
        Profile.objects.filter(pk=profile.pk, welcomed_at__isnull=True).update(
            welcomed_at=profile.welcomed_at
        )
    return profile
