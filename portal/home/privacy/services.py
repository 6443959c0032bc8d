"""Erasing a person's personal data while the research record stays (UK GDPR, article 17).

What goes: their name, email addresses, password and two-factor keys, sessions, profile
(access needs, contact and payment preferences), notifications, unsent drafts, contributions
never sent for approval, and the names of their receipts. Receipts' files stay for the
finance retention period (``FINANCE_RETENTION_YEARS`` after the expense was repaid, or its
activity date) and are then removed by the daily ``receipts_purge``.

What stays: what they did in the studies (memberships with their dates, contributions,
comments and answers, review assignments, payments made and their references, which finance
law requires), shown everywhere as "Former partner N", and the audit history, whose rows
point at the same, renamed person.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from documents.models import CommentDraft, WordImport
from engagement.models import (
    Contribution,
    ContributionState,
    ExpenseLine,
    Invitation,
    Membership,
)
from portal.accounts.models import (
    Erasure,
    Profile,
    SensitiveVerb,
    SensitiveWhat,
    User,
)
from portal.accounts.naming import former_partner
from portal.accounts.services import PROFILE_FIELDS, sensitive_access_record
from portal.home.models import InvolvementLog
from portal.notifications.models import InboundMail, Notification
from portal.permissions import Role
from portal.rules import RuleBroken

ERASED_DOMAIN = "erased.invalid"


def _unpaid(person: User) -> QuerySet[Contribution]:
    """Approved contributions with time still to pay or expenses still to repay."""
    has_expenses = ExpenseLine.objects.filter(contribution=OuterRef("pk"))
    return Contribution.objects.filter(partner=person).filter(
        Q(state=ContributionState.APPROVED, payment_due__gt=0)
        | Q(
            Exists(has_expenses),
            state__in=[ContributionState.APPROVED, ContributionState.PAID],
            expenses_paid_on__isnull=True,
        )
    )


def _waiting(person: User) -> QuerySet[Contribution]:
    return Contribution.objects.filter(partner=person, state=ContributionState.SUBMITTED)


def _sole_coordinator_of(person: User) -> list[str]:
    other = Membership.objects.filter(
        study=OuterRef("study"), role=Role.COORDINATOR, left_on__isnull=True
    ).exclude(user=person)
    return list(
        Membership.objects.filter(user=person, role=Role.COORDINATOR, left_on__isnull=True)
        .exclude(Exists(other))
        .values_list("study__title", flat=True)
    )


def erasure_refusals(person: User) -> list[str]:
    """What must happen before the person's data can be erased, in plain words; [] if nothing."""
    refusals = []
    if person.is_erased:
        refusals.append(_("Their personal data has already been erased."))
    unpaid = _unpaid(person).select_related("study").order_by("activity_date")
    if unpaid:
        studies = sorted({c.study.title for c in unpaid})
        refusals.append(
            ngettext(
                "%(n)s approved contribution has not been paid or its expenses repaid yet "
                "(%(studies)s). Pay it, or mark it paid, first: once their bank and contact "
                "details are gone nobody could pay them.",
                "%(n)s approved contributions have not been paid or their expenses repaid yet "
                "(%(studies)s). Pay them, or mark them paid, first: once their bank and "
                "contact details are gone nobody could pay them.",
                len(unpaid),
            )
            % {"n": len(unpaid), "studies": ", ".join(studies)}
        )
    waiting = _waiting(person).count()
    if waiting:
        refusals.append(
            ngettext(
                "%(n)s contribution is waiting for approval. Approve or return it first.",
                "%(n)s contributions are waiting for approval. Approve or return them first.",
                waiting,
            )
            % {"n": waiting}
        )
    sole = _sole_coordinator_of(person)
    if sole:
        refusals.append(
            _(
                "They are the only coordinator of %(studies)s. Make someone else a "
                "coordinator there first."
            )
            % {"studies": ", ".join(sole)}
        )
    return refusals


def retention_end(line: ExpenseLine) -> dt.date:
    """The day a receipt may go: the finance retention period after it was repaid."""
    contribution = line.contribution
    start = contribution.expenses_paid_on or contribution.activity_date
    years = settings.FINANCE_RETENTION_YEARS
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing the person would remove and keep, counted for the confirmation page."""

    person: User
    refusals: list[str]
    studies: list[str]
    notifications: int
    drafts: int
    unsent_contributions: int
    contributions_kept: int
    comments_kept: int
    receipts_now: int
    receipts_later: int
    receipts_kept_until: dt.date | None
    logs: int
    has_access_needs: bool
    removed: dict[str, int] = field(default_factory=dict)


def _receipts(person: User) -> QuerySet[ExpenseLine]:
    return ExpenseLine.objects.filter(contribution__partner=person).exclude(receipt="")


def erasure_plan(person: User, today: dt.date | None = None) -> ErasurePlan:
    today = today or timezone.localdate()
    receipts = list(
        _receipts(person)
        .exclude(contribution__state=ContributionState.DRAFT)
        .select_related("contribution")
    )
    later = [retention_end(line) for line in receipts if retention_end(line) > today]
    profile = Profile.objects.filter(user=person).first()
    return ErasurePlan(
        person=person,
        refusals=erasure_refusals(person),
        studies=sorted(
            set(Membership.objects.filter(user=person).values_list("study__title", flat=True))
        ),
        notifications=Notification.objects.filter(recipient=person).count(),
        drafts=CommentDraft.objects.filter(author=person).count(),
        unsent_contributions=Contribution.objects.filter(
            partner=person, state=ContributionState.DRAFT
        ).count(),
        contributions_kept=Contribution.objects.filter(partner=person)
        .exclude(state=ContributionState.DRAFT)
        .count(),
        comments_kept=person.comments.count(),
        receipts_now=len(receipts) - len(later),
        receipts_later=len(later),
        receipts_kept_until=max(later) if later else None,
        logs=InvolvementLog.objects.filter(holder=person).count(),
        has_access_needs=bool(profile and profile.accessibility_needs),
    )


def _files_delete(fields: list[FieldFile]) -> None:
    """Delete stored files once the rows no longer point at them: after the commit, so that
    a rolled-back erasure leaves no row pointing at a file that is gone."""
    stored = [(field.storage, field.name) for field in fields if field.name]

    def delete() -> None:
        for storage, name in stored:
            if name:
                storage.delete(name)

    transaction.on_commit(delete)


def _receipt_forget(lines: list[ExpenseLine]) -> int:
    """Remove receipts' files and names, here and in the audit history's copies."""
    _files_delete([line.receipt for line in lines])
    ids = [line.pk for line in lines]
    ExpenseLine.objects.filter(pk__in=ids).update(
        receipt="", receipt_name="", receipt_content_type=""
    )
    ExpenseLine.history.filter(id__in=ids).update(
        receipt="", receipt_name="", receipt_content_type=""
    )
    return len(lines)


def _replace_name(old: str, new: str) -> int:
    """Others' notifications and the admin's log name the person: they now read the new name.

    Only the whole name is replaced, so that a short name inside another word stays.
    """
    if not old.strip():
        return 0
    whole = re.compile(rf"(?<!\w){re.escape(old)}(?!\w)")
    changed = 0
    fields = ("title", "subject", "text_body", "html_body")
    mentions = Q()
    for name in fields:
        mentions |= Q(**{f"{name}__contains": old})
    for note in Notification.objects.filter(mentions).only("pk", *fields):
        for name in fields:
            setattr(note, name, whole.sub(new, getattr(note, name)))
        note.save(update_fields=list(fields))
        changed += 1
    for entry in LogEntry.objects.filter(object_repr__contains=old):
        entry.object_repr = whole.sub(new, entry.object_repr)[:200]
        entry.save(update_fields=["object_repr"])
    return changed


@transaction.atomic
def person_erase(*, person: User, by: User, today: dt.date | None = None) -> Erasure:
    """Erase the person's personal data; refused while payments or decisions are outstanding."""
    today = today or timezone.localdate()
    person = User.objects.select_for_update().get(pk=person.pk)
    # The rule that a study keeps a coordinator spans rows: lock them before checking it.
    list(
        Membership.objects.select_for_update()
        .filter(
            study__in=Membership.objects.filter(user=person).values("study"),
            role=Role.COORDINATOR,
            left_on__isnull=True,
        )
        .values_list("pk", flat=True)
    )
    refusals = erasure_refusals(person)
    if refusals:
        raise RuleBroken(" ".join(refusals))

    study_ids = sorted(
        set(Membership.objects.filter(user=person).values_list("study_id", flat=True))
    )
    erasure = Erasure.objects.create(
        person=person, erased_by=by, erased_by_name=by.name_seen, study_ids=study_ids
    )
    former = former_partner(erasure.pk)
    old_name = person.display_name
    addresses = {person.email.lower()} | {
        e.lower() for e in EmailAddress.objects.filter(user=person).values_list("email", flat=True)
    }
    removed: dict[str, int] = {}

    # The account: nobody can log in as them, and nothing names or reaches them.
    for session in UserSession.objects.filter(user=person):
        session.end()
    removed["email_addresses"] = EmailAddress.objects.filter(user=person).delete()[0]
    Authenticator.objects.filter(user=person).delete()
    person.display_name = former
    person.email = f"former-partner-{erasure.pk}@{ERASED_DOMAIN}"
    person.set_unusable_password()
    person.is_active = person.is_staff = person.is_superuser = False
    person.can_create_studies = False
    person.erased_at = timezone.now()
    person.former_number = erasure.pk
    person.save()
    person.groups.clear()
    person.user_permissions.clear()

    # The profile: access needs, contact and payment preferences, what to call them.
    blank = Profile(user=person)
    Profile.objects.filter(user=person).update(
        **{name: getattr(blank, name) for name in PROFILE_FIELDS}
    )

    # Studies: memberships end (their dates stay); invitations no longer hold the address.
    Membership.objects.filter(user=person, left_on__isnull=True).update(left_on=today)
    to_them = Q(accepted_by=person)
    for address in addresses:
        to_them |= Q(email__iexact=address)
    invitations = Invitation.objects.filter(to_them)
    invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    removed["invitations"] = invitations.update(email=person.email)

    # What was theirs alone: messages to them, unsent words, contributions never sent.
    removed["notifications"] = Notification.objects.filter(recipient=person).delete()[0]
    removed["drafts"] = CommentDraft.objects.filter(author=person).delete()[0]
    # Word files they sent, and those a coordinator brought in for them (their words too).
    removed["word_imports"] = WordImport.objects.filter(
        Q(person=person) | Q(on_behalf_of=person)
    ).delete()[0]
    # The record of replies by email keeps what became of each, not who sent it.
    sent_by_them = Q(person=person)
    for address in addresses:
        sent_by_them |= Q(sender__iexact=address)
    removed["reply_senders"] = InboundMail.objects.filter(sent_by_them).update(sender="")
    unsent = Contribution.objects.filter(partner=person, state=ContributionState.DRAFT)
    unsent_ids = list(unsent.values_list("pk", flat=True))
    _receipt_forget(list(_receipts(person).filter(contribution_id__in=unsent_ids)))
    expense_ids = list(
        ExpenseLine.objects.filter(contribution_id__in=unsent_ids).values_list("pk", flat=True)
    )
    removed["unsent_contributions"] = len(unsent_ids)
    unsent.delete()
    ExpenseLine.history.filter(id__in=expense_ids).delete()
    Contribution.history.filter(id__in=unsent_ids).delete()

    # Receipts: names go now; files past the finance retention period go now, others later.
    kept = list(_receipts(person).select_related("contribution"))
    old = [line for line in kept if retention_end(line) <= today]
    removed["receipts"] = _receipt_forget(old)
    later = [retention_end(line) for line in kept if retention_end(line) > today]
    ExpenseLine.objects.filter(contribution__partner=person).exclude(receipt="").update(
        receipt_name=_("Receipt")
    )
    ExpenseLine.history.filter(
        id__in=ExpenseLine.objects.filter(contribution__partner=person).values("pk")
    ).exclude(receipt_name="").update(receipt_name=_("Receipt"))

    # Involvement logs: the printed files go; the codes still verify, under the new name.
    _files_delete(
        [log.file for log in InvolvementLog.objects.filter(holder=person).exclude(file="")]
    )
    removed["logs"] = InvolvementLog.objects.filter(holder=person).update(
        holder_name=former, file="", file_removed_at=timezone.now()
    )
    InvolvementLog.objects.filter(produced_by=person).update(produced_by_name=former)
    removed["mentions"] = _replace_name(old_name, former)

    erasure.removed = removed
    erasure.receipts_kept_until = max(later) if later else None
    erasure.save(update_fields=["removed", "receipts_kept_until"])
    # A person in no study still has a record of the erasure, under no study.
    targets: list[int | None] = [*study_ids] or [None]
    for study_id in targets:
        sensitive_access_record(
            by=by,
            subject=person,
            what=SensitiveWhat.PERSONAL_DATA,
            verb=SensitiveVerb.ERASED,
            study_id=study_id,
            detail=_("Now shown as %(name)s") % {"name": former},
        )
    return erasure


@transaction.atomic
def receipts_purge(today: dt.date | None = None) -> int:
    """Remove erased people's receipts once the finance retention period is over."""
    today = today or timezone.localdate()
    lines = _receipts_of_erased().select_related("contribution")
    due = [line for line in lines if retention_end(line) <= today]
    return _receipt_forget(due)


def _receipts_of_erased() -> QuerySet[ExpenseLine]:
    return ExpenseLine.objects.filter(contribution__partner__erased_at__isnull=False).exclude(
        receipt=""
    )
