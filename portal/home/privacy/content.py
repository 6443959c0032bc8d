"""Everything the portal holds about a person, for them to download (UK GDPR, article 15).

One structure feeds both downloads: ``personal_data`` returns plain JSON-ready values, with
the keys documented in docs/personal-data.md, and the PDF prints the same values. A new
table that holds something about a person belongs here, and in that document.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from documents.models import (
    Assignment,
    AssignmentState,
    Comment,
    CommentDraft,
    Outcome,
    Response,
    ThreadState,
    Visibility,
    WordImport,
    WordImportState,
)
from engagement.models import (
    ActivityType,
    Contribution,
    ContributionState,
    ExpenseType,
    Invitation,
    Membership,
    Study,
)
from portal.accounts.models import (
    Acknowledgement,
    ContactMethod,
    Erasure,
    PaymentPreference,
    Profile,
    SensitiveAccess,
    SensitiveVerb,
    SensitiveWhat,
    User,
)
from portal.home.models import InvolvementLog, LogState
from portal.notifications.models import Frequency, Kind, Notification
from portal.permissions import Role

FORMAT = "ppie-portal-personal-data/1"


def _when(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _person(user: User) -> dict[str, Any]:
    emails = EmailAddress.objects.filter(user=user).order_by("-primary", "email")
    return {
        "id": user.pk,
        "name": user.display_name,
        "email": user.email,
        "email_addresses": [
            {"email": e.email, "primary": e.primary, "verified": e.verified} for e in emails
        ],
        "joined": _when(user.date_joined),
        "last_login": _when(user.last_login),
        "can_create_studies": user.can_create_studies,
        "site_admin": user.is_staff,
        "two_factor": Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).exists(),
        "erased": _when(user.erased_at),
    }


def _profile(user: User) -> dict[str, Any] | None:
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        return None
    return {
        "preferred_name": profile.preferred_name,
        "pronouns": profile.pronouns,
        "access_needs": profile.accessibility_needs,
        "contact_method": profile.contact_method,
        "phone": profile.phone,
        "email_frequency": profile.email_frequency,
        "acknowledgement": profile.acknowledgement,
        "payment_preference": profile.payment_preference,
        "payment_reduced_percent": profile.payment_reduced_percent,
        "welcomed": _when(profile.welcomed_at),
        "updated": _when(profile.updated_at),
    }


def _memberships(user: User) -> list[dict[str, Any]]:
    return [
        {
            "study_id": m.study_id,
            "study": m.study.title,
            "role": m.role,
            "joined": _when(m.joined_on),
            "left": _when(m.left_on),
        }
        for m in Membership.objects.filter(user=user).select_related("study").order_by("id")
    ]


def _invitations(user: User) -> list[dict[str, Any]]:
    addresses = {user.email.lower()} | {
        e.lower() for e in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    }
    invitations = Invitation.objects.filter(accepted_by=user) | Invitation.objects.filter(
        email__in=addresses
    )
    return [
        {
            "study_id": i.study_id,
            "study": i.study.title,
            "role": i.role,
            "email": i.email,
            "message": i.message,
            "sent": _when(i.sent_at),
            "accepted": _when(i.accepted_at),
            "withdrawn": _when(i.revoked_at),
        }
        for i in invitations.select_related("study").distinct().order_by("id")
    ]


def _contributions(user: User) -> list[dict[str, Any]]:
    contributions = (
        Contribution.objects.filter(partner=user)
        .select_related("study", "stage")
        .prefetch_related("expenses")
        .order_by("activity_date", "id")
    )
    return [
        {
            "id": c.pk,
            "study_id": c.study_id,
            "study": c.study.title,
            "stage": c.stage.name,
            "activity_type": c.activity_type,
            "date": _when(c.activity_date),
            "minutes": c.minutes,
            "what_you_did": c.what_they_did,
            "hoped_to_influence": c.hoped_to_influence,
            "what_changed": c.what_changed,
            "uk_standards": list(c.impact_standards),
            "state": c.state,
            "returned_reason": c.returned_reason,
            "entered_by_the_team": c.by_proxy,
            "submitted": _when(c.submitted_at),
            "decided": _when(c.decided_at),
            "payment_preference": c.payment_preference,
            "payment_due": _money(c.payment_due),
            "paid_on": _when(c.paid_on),
            "payment_reference": c.payment_reference,
            "expenses_paid_on": _when(c.expenses_paid_on),
            "expenses_reference": c.expenses_reference,
            "expenses": [
                {
                    "type": line.expense_type,
                    "details": line.description,
                    "amount": _money(line.amount),
                    "receipt": line.receipt_name or None,
                    "receipt_kept": bool(line.receipt),
                }
                for line in c.expenses.all()
            ],
        }
        for c in contributions
    ]


def _answer(comment: Comment) -> dict[str, Any] | None:
    response: Response | None = getattr(comment, "response", None)
    if response is None or response.published_at is None:
        return None
    return {
        "outcome": response.outcome,
        "what_we_did": response.body,
        "why_not": response.reason,
        "changed_in_version": response.changed_in.number if response.changed_in else None,
        "published": _when(response.published_at),
    }


def _comments(user: User) -> list[dict[str, Any]]:
    comments = (
        Comment.objects.filter(author=user)
        .select_related("version__document__study", "response", "response__changed_in", "parent")
        .prefetch_related("edits")
        .order_by("created_at", "id")
    )
    return [
        {
            "id": c.pk,
            "study_id": c.version.document.study_id,
            "study": c.version.document.study.title,
            "document": c.version.document.title,
            "version": c.version.number,
            "reply_to": c.parent_id,
            "paragraph": c.block_id or None,
            "passage": c.quote or None,
            "text": c.body,
            "earlier_wordings": [
                {"text": e.previous_body, "until": _when(e.edited_at)} for e in c.edits.all()
            ],
            "visibility": c.visibility,
            "state": c.state,
            "written": _when(c.created_at),
            "edited": _when(c.edited_at),
            "withdrawn": _when(c.withdrawn_at),
            "entered_by_the_team": c.by_proxy,
            "answer": _answer(c) if c.parent_id is None else None,
        }
        for c in comments
    ]


def _drafts(user: User) -> list[dict[str, Any]]:
    drafts = CommentDraft.objects.filter(author=user).select_related("version__document")
    return [
        {
            "document": d.version.document.title,
            "version": d.version.number,
            "passage": d.quote or None,
            "text": d.body,
            "saved": _when(d.updated_at),
        }
        for d in drafts.order_by("updated_at", "id")
    ]


def _word_imports(user: User) -> list[dict[str, Any]]:
    # Also those a coordinator brought in for them: the comments in them are theirs.
    imports = WordImport.objects.filter(Q(person=user) | Q(on_behalf_of=user)).select_related(
        "version__document"
    )
    return [
        {
            "document": w.version.document.title,
            "version": w.version.number,
            "file": w.filename,
            "sent_for_you_by_the_team": w.on_behalf_of_id == user.pk,
            "state": w.state,
            "found": [
                {"author": p.get("author", ""), "text": p.get("text", "")} for p in w.proposals
            ],
            "sent": _when(w.created_at),
            "finished": _when(w.finished_at),
        }
        for w in imports.order_by("created_at", "id")
    ]


def _answers(user: User) -> list[dict[str, Any]]:
    answers = Response.objects.filter(author=user).select_related("comment__version__document")
    return [
        {
            "comment_id": r.comment_id,
            "document": r.comment.version.document.title,
            "outcome": r.outcome,
            "what_we_did": r.body,
            "why_not": r.reason,
            "published": _when(r.published_at),
        }
        for r in answers.order_by("created_at", "id")
    ]


def _assignments(user: User) -> list[dict[str, Any]]:
    assignments = Assignment.objects.filter(partner=user).select_related(
        "round__version__document__study"
    )
    return [
        {
            "study": a.round.version.document.study.title,
            "document": a.round.version.document.title,
            "version": a.round.version.number,
            "deadline": _when(a.round.deadline),
            "state": a.state,
            "started": _when(a.started_at),
            "finished": _when(a.finished_at),
            "minutes": a.minutes_spent,
        }
        for a in assignments.order_by("round__opens_at", "id")
    ]


def _logs(user: User) -> list[dict[str, Any]]:
    return [
        {
            "code": log.code,
            "name_printed": log.holder_name,
            "made_by": log.produced_by_name,
            "period_start": _when(log.period_start),
            "period_end": _when(log.period_end),
            "studies": list(log.study_titles),
            "with_payments": log.include_payments,
            "state": log.state,
            "issued": _when(log.issued_at),
            "withdrawn": _when(log.withdrawn_at),
        }
        for log in InvolvementLog.objects.filter(holder=user).order_by("requested_at", "id")
    ]


def _notifications(user: User) -> list[dict[str, Any]]:
    return [
        {
            "kind": n.kind,
            "title": n.title,
            "created": _when(n.created_at),
            "delivery": n.delivery,
            "read": _when(n.read_at),
        }
        for n in Notification.objects.filter(recipient=user).order_by("created_at", "id")
    ]


def _access(user: User, titles: dict[int, str]) -> list[dict[str, Any]]:
    rows = SensitiveAccess.objects.filter(subject=user).select_related("by")
    return [
        {
            "when": _when(row.at),
            "by": row.by.name_seen if row.by else None,
            "what": row.what,
            "action": row.verb,
            "study": titles.get(row.study_id) if row.study_id else None,
            "details": row.detail,
        }
        for row in rows.order_by("at", "id")
    ]


def personal_data(user: User) -> dict[str, Any]:
    """Every record about the person, as JSON-ready values under documented keys."""
    erasure = Erasure.objects.filter(person=user).first()
    memberships = _memberships(user)
    titles = dict(
        Study.objects.filter(
            pk__in=SensitiveAccess.objects.filter(subject=user).values("study_id")
        ).values_list("pk", "title")
    )
    return {
        "format": FORMAT,
        "made": _when(timezone.now()),
        "person": _person(user),
        "profile": _profile(user),
        "memberships": memberships,
        "invitations": _invitations(user),
        "contributions": _contributions(user),
        "comments": _comments(user),
        "comment_drafts": _drafts(user),
        "word_imports": _word_imports(user),
        "answers_written": _answers(user),
        "review_assignments": _assignments(user),
        "involvement_logs": _logs(user),
        "notifications": _notifications(user),
        "access_to_your_records": _access(user, titles),
        "erasure": (
            {"number": erasure.pk, "erased": _when(erasure.erased_at)} if erasure else None
        ),
    }


def _label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# For the PDF: which codes in each section read as which choices' labels.
_LABELS: dict[str, dict[str, type[models.TextChoices]]] = {
    "profile": {
        "contact_method": ContactMethod,
        "email_frequency": Frequency,
        "acknowledgement": Acknowledgement,
        "payment_preference": PaymentPreference,
    },
    "memberships": {"role": Role},
    "invitations": {"role": Role},
    "contributions": {"activity_type": ActivityType, "state": ContributionState},
    "expenses": {"type": ExpenseType},
    "comments": {"state": ThreadState, "visibility": Visibility},
    "answer": {"outcome": Outcome},
    "answers_written": {"outcome": Outcome},
    "review_assignments": {"state": AssignmentState},
    "word_imports": {"state": WordImportState},
    "involvement_logs": {"state": LogState},
    "notifications": {"kind": Kind},
    "access_to_your_records": {"what": SensitiveWhat, "action": SensitiveVerb},
}


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")


def _readable_text(value: str) -> str:
    """A date or time as people read it ("4 March 2026, 14:30"); other text as it is."""
    if _TIME.fullmatch(value):
        return date_format(dt.datetime.fromisoformat(value), "j F Y, H:i")
    if _DATE.fullmatch(value):
        return date_format(dt.date.fromisoformat(value), "j F Y")
    return value


def _readable(section: str, value: Any) -> Any:
    if isinstance(value, str):
        return _readable_text(value)
    if isinstance(value, list):
        return [_readable(section, item) for item in value]
    if not isinstance(value, dict):
        return value
    labels = _LABELS.get(section, {})
    return {
        key: (
            _label(labels[key], item)
            if key in labels and isinstance(item, str)
            else _readable(key if key in _LABELS else section, item)
        )
        for key, item in value.items()
    }


def for_print(data: dict[str, Any]) -> dict[str, Any]:
    """The same data with codes ("document_review") as people read them ("Document review")."""
    printed = {key: _readable(key, value) for key, value in data.items()}
    profile = data["profile"]
    if profile and profile["payment_preference"] == PaymentPreference.REDUCE:
        printed["profile"]["payment_preference"] += f" ({profile['payment_reduced_percent']}%)"
    return printed
