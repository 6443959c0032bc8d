"""Issuing, building, withdrawing and clearing away involvement logs."""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import F, QuerySet
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
    studies = list(log_studies(scope.study_ids))
    return InvolvementLog.objects.create(
        code=code_new(),
        holder=scope.holder,
        holder_name=holder_name(scope.holder),
        produced_by=by,
        produced_by_name=holder_name(by),
        period_start=scope.start,
        period_end=scope.end,
        study_ids=[study.pk for study in studies],
        study_titles=[study.title for study in studies],
        include_payments=scope.include_payments,
        entries=log_size(scope),
        build_started_at=timezone.now(),
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


def _current(log: InvolvementLog) -> QuerySet[InvolvementLog]:
    """The log, only while this try is the one being built and nobody has withdrawn it."""
    return InvolvementLog.objects.filter(
        pk=log.pk, state=LogState.BUILDING, attempt=log.attempt, withdrawn_at__isnull=True
    )


def log_build(log: InvolvementLog) -> InvolvementLog:
    """Print the log and keep it; a failure is recorded and nothing half-made is offered.

    The file is written first and the log marked ready only if this try is still the current
    one; otherwise (withdrawn meanwhile, or built by another try) the file is removed again.
    """
    stored = ""
    try:
        content = log_content(scope_of(log))
        issued_at = timezone.now()
        pdf = pdf_render(
            "pdf/involvement_log.html",
            {
                "content": content,
                "code": log.code,
                "verify_url": verify_url(log.code),
                "verify_home": verify_url(),
                "issued_on": timezone.localdate(issued_at),
                "produced_by_name": log.produced_by_name,
                "by_proxy": log.by_proxy,
                "site_name": settings.SITE_NAME,
            },
        )
        storage = log.file.storage
        stored = storage.save(log.file.field.generate_filename(log, ""), ContentFile(pdf.content))
        finished = _current(log).update(
            file=stored,
            digest=hashlib.sha256(pdf.content).hexdigest(),
            pages=pdf.pages,
            entries=content.size,
            holder_name=content.holder_name,
            state=LogState.READY,
            failure="",
            issued_at=issued_at,
        )
        if not finished:
            storage.delete(stored)
            stored = ""
    except PdfUnavailable as error:
        return _failed(log, str(error), stored)
    except SoftTimeLimitExceeded:
        return _failed(log, _("The log took too long to make."), stored)
    except Exception:
        logger.exception("Involvement log %s could not be built", log.pk)
        return _failed(log, _("Something went wrong while the log was being made."), stored)
    log.refresh_from_db()
    if finished:
        log_made_for_holder_notify(log)
    return log


def _failed(log: InvolvementLog, reason: str, stored: str = "") -> InvolvementLog:
    if stored:
        log.file.storage.delete(stored)
    _current(log).update(state=LogState.FAILED, failure=reason)
    log.refresh_from_db()
    return log


def log_retry(log: InvolvementLog) -> InvolvementLog | None:
    """Start a failed log again, with the same code (nobody has been given it yet).

    Returns the log to build, or None when someone else already started it again.
    """
    started = InvolvementLog.objects.filter(
        pk=log.pk, state=LogState.FAILED, attempt=log.attempt, withdrawn_at__isnull=True
    ).update(
        state=LogState.BUILDING,
        failure="",
        attempt=F("attempt") + 1,
        build_started_at=timezone.now(),
    )
    if not started:
        return None
    log.refresh_from_db()
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
    """Remove built files past their keeping time; the verification record stays.

    Also fails builds whose worker died, telling whoever asked, so they can try again.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.LOG_KEEP_DAYS)
    expired = InvolvementLog.objects.filter(
        issued_at__lt=cutoff, file_removed_at__isnull=True
    ).exclude(file="")
    count = 0
    for log in expired.iterator():
        _remove_file(log)
        count += 1
    stuck = now - datetime.timedelta(minutes=settings.LOG_BUILD_STUCK_MINUTES)
    for log in InvolvementLog.objects.filter(
        state=LogState.BUILDING, build_started_at__lt=stuck, withdrawn_at__isnull=True
    ).select_related("produced_by"):
        log = _failed(log, _("The log took too long to make."))
        if log.state == LogState.FAILED:
            log_ready_notify(log)
    return count
