"""Issuing, building, withdrawing and clearing away involvement logs."""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.home.logs.content import (
    LogScope,
    holder_name,
    log_content,
    log_size,
    log_studies,
    period_text,
)
from portal.home.models import InvolvementLog, LogState
from portal.home.printing import PdfUnavailable, pdf_render
from portal.notifications.models import Kind
from portal.notifications.services import Message, notifications_record

logger = logging.getLogger(__name__)

# Crockford's base32: no I, L, O or U, so a code read aloud or typed from paper comes out right.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20  # 100 bits: not guessable, even with many tries
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def code_new() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def code_normalise(typed: str) -> str | None:
    """A code as people type it (any case, spaces or dashes, O for 0) in its printed form."""
    raw = "".join(ch for ch in typed.upper() if ch.isalnum()).translate(_TYPED)
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def verify_url(code: str | None = None) -> str:
    path = reverse("log_verify_code", args=[code]) if code else reverse("log_verify")
    return settings.SITE_URL + path


def log_request(*, scope: LogScope, by: User) -> InvolvementLog:
    """Record the log that was asked for. Whether it is built now or later is the caller's."""
    studies = list(log_studies(scope.holder, scope.study_ids))
    return InvolvementLog.objects.create(
        code=code_new(),
        holder=scope.holder,
        holder_name=holder_name(scope.holder),
        produced_by=by,
        produced_by_name=by.display_name or by.email,
        period_start=scope.start,
        period_end=scope.end,
        study_ids=[study.pk for study in studies],
        study_titles=[study.title for study in studies],
        include_payments=scope.include_payments,
        entries=log_size(scope),
    )


def builds_in_background(log: InvolvementLog) -> bool:
    return log.entries > settings.LOG_BUILD_NOW_MAX_ENTRIES


def scope_of(log: InvolvementLog) -> LogScope:
    return LogScope(
        holder=log.holder,
        start=log.period_start,
        end=log.period_end,
        study_ids=tuple(log.study_ids),
        include_payments=log.include_payments,
    )


def log_build(log: InvolvementLog) -> InvolvementLog:
    """Print the log and keep it; a failure is recorded and nothing half-made is offered."""
    try:
        content = log_content(scope_of(log))
        issued = timezone.localdate()
        pdf = pdf_render(
            "pdf/involvement_log.html",
            {
                "content": content,
                "code": log.code,
                "verify_url": verify_url(log.code),
                "verify_home": verify_url(),
                "issued_on": issued,
                "produced_by_name": log.produced_by_name,
                "by_proxy": log.by_proxy,
                "site_name": settings.SITE_NAME,
            },
        )
    except PdfUnavailable as error:
        return _failed(log, str(error))
    except SoftTimeLimitExceeded:
        return _failed(log, _("The log took too long to make."))
    except Exception:
        logger.exception("Involvement log %s could not be built", log.pk)
        return _failed(log, _("Something went wrong while the log was being made."))
    log.file.save(f"{log.code}.pdf", ContentFile(pdf.content), save=False)
    log.digest = hashlib.sha256(pdf.content).hexdigest()
    log.pages = pdf.pages
    log.entries = content.size
    log.holder_name = content.holder_name
    log.state = LogState.READY
    log.failure = ""
    log.issued_at = timezone.now()
    log.save()
    log_made_for_holder_notify(log)
    return log


def _failed(log: InvolvementLog, reason: str) -> InvolvementLog:
    log.state = LogState.FAILED
    log.failure = reason
    log.save(update_fields=["state", "failure"])
    return log


def log_retry(log: InvolvementLog) -> InvolvementLog:
    """Start a failed log again, with the same code (nobody has been given it yet)."""
    log.state = LogState.BUILDING
    log.failure = ""
    log.save(update_fields=["state", "failure"])
    return log


def log_ready_notify(log: InvolvementLog) -> None:
    """Tell whoever asked that a log built in the background is ready, or could not be made."""
    if log.produced_by is None:
        return
    ready = log.state == LogState.READY
    title = (
        _("The involvement log of %(name)s is ready")
        if ready
        else _("The involvement log of %(name)s could not be made")
    ) % {"name": log.holder_name}
    notifications_record(
        [
            Message(
                recipient=log.produced_by,
                kind=Kind.LOG_READY,
                object_type="involvement_log",
                object_id=log.pk,
                occasion=f"{log.state}-{timezone.now():%Y%m%d%H%M%S%f}",
                title=title,
                link=reverse("log_detail", args=[log.pk]),
                template=Kind.LOG_READY,
                context={"holder_name": log.holder_name, "ready": ready, "reason": log.failure},
            )
        ]
    )


def log_withdraw(log: InvolvementLog, *, by: User) -> InvolvementLog:
    """Withdraw the log for good; its holder hears of it when someone else did it."""
    if log.withdrawn_at is None:
        log.withdrawn_at = timezone.now()
        log.withdrawn_by = by
        log.save(update_fields=["withdrawn_at", "withdrawn_by"])
        _remove_file(log)
        if by.pk != log.holder_id:
            _tell_holder(
                log,
                Kind.LOG_WITHDRAWN,
                _("Your involvement log for %(period)s was withdrawn")
                % {"period": period_text(log.period_start, log.period_end)},
                {
                    "withdrawn_by": by.display_name,
                    "period": period_text(log.period_start, log.period_end),
                },
            )
    return log


def log_made_for_holder_notify(log: InvolvementLog) -> None:
    """A partner hears that a coordinator made a log for them, so none exists unseen."""
    if log.by_proxy and log.state == LogState.READY:
        _tell_holder(
            log,
            Kind.LOG_MADE_FOR_YOU,
            _("%(name)s made an involvement log for you") % {"name": log.produced_by_name},
            {"producer_name": log.produced_by_name},
        )


def _tell_holder(log: InvolvementLog, kind: str, title: str, context: dict[str, str]) -> None:
    notifications_record(
        [
            Message(
                recipient=log.holder,
                kind=kind,
                object_type="involvement_log",
                object_id=log.pk,
                title=title,
                link=reverse("log_detail", args=[log.pk]),
                template=kind,
                context=context,
            )
        ]
    )


def _remove_file(log: InvolvementLog) -> None:
    if log.file:
        log.file.delete(save=False)
    log.file_removed_at = timezone.now()
    log.save(update_fields=["file", "file_removed_at"])


def logs_expire(now: datetime.datetime | None = None) -> int:
    """Remove built files past their keeping time; the verification record stays."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.LOG_KEEP_DAYS)
    expired = InvolvementLog.objects.filter(
        requested_at__lt=cutoff, file_removed_at__isnull=True
    ).exclude(file="")
    count = 0
    for log in expired.iterator():
        _remove_file(log)
        count += 1
    # A build that never finished (its worker died) is failed so it can be tried again.
    stuck = timezone.now() - datetime.timedelta(minutes=settings.LOG_BUILD_STUCK_MINUTES)
    InvolvementLog.objects.filter(state=LogState.BUILDING, requested_at__lt=stuck).update(
        state=LogState.FAILED, failure=_("The log took too long to make.")
    )
    return count
