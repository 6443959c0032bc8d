"""Involvement logs: asking for one, waiting for it, downloading, withdrawing, verifying."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from engagement.access import StudyAccess, partner_in, study_view
from engagement.models import Membership, Study
from portal.accounts.models import User
from portal.home.logs.access import coordinated_study_ids, covers_only, log_for
from portal.home.logs.content import LogScope
from portal.home.logs.forms import LogForm, VerifyForm
from portal.home.logs.services import (
    builds_in_background,
    code_normalise,
    log_build,
    log_request,
    log_retry,
    log_withdraw,
    verify_url,
)
from portal.home.models import InvolvementLog, LogState
from portal.home.printing import pdf_problem
from portal.http import AuthenticatedHttpRequest
from portal.permissions import Action, Role
from portal.ratelimits import EXPORTS, counts_towards

LOGS_LISTED = 50
DOWNLOAD_NOW = "log_download_now"


def _download(log: InvolvementLog) -> FileResponse:
    name = f"involvement-log-{slugify(log.holder_name) or log.holder_id}-{log.period_end}.pdf"
    response = FileResponse(
        log.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _queue(log: InvolvementLog) -> None:
    from portal.home.tasks import log_build_task

    transaction.on_commit(lambda: log_build_task.delay(log.pk))


def _issue(request: AuthenticatedHttpRequest, scope: LogScope) -> HttpResponseBase:
    """Short logs are printed at once and their download starts by itself on the log's page
    (which also lists it, so nobody presses again to see whether it worked); long ones are
    built by a worker while that page waits."""
    log = log_request(scope=scope, by=request.user)
    if builds_in_background(log):
        _queue(log)
        return redirect("log_detail", log_id=log.pk)
    log = log_build(log)
    if log.state != LogState.READY:
        return redirect("log_detail", log_id=log.pk)
    # Once: a reload or a bookmark of the page does not download it again.
    request.session[DOWNLOAD_NOW] = log.pk
    return redirect("log_detail", log_id=log.pk)


def _form_page(
    request: AuthenticatedHttpRequest,
    form: LogForm,
    *,
    holder: User,
    logs: Iterable[InvolvementLog],
    study: Study | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "home/logs/log_new.html",
        {
            "form": form,
            "holder": holder,
            "logs": logs,
            "study": study,
            "pdf_problem": pdf_problem(),
            "build_now_max": settings.LOG_BUILD_NOW_MAX_ENTRIES,
            "keep_days": settings.LOG_KEEP_DAYS,
        },
        status=status,
    )


@login_required
@counts_towards(EXPORTS)
@require_http_methods(["GET", "POST"])
def log_new(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The partner's own log, from "Your involvement"."""
    studies = _partner_studies(request.user)
    form = LogForm(request.POST if request.method == "POST" else None, studies=studies)
    logs = InvolvementLog.objects.filter(holder=request.user).select_related("produced_by")[
        :LOGS_LISTED
    ]
    if request.method == "POST" and form.is_valid():
        if pdf_problem():
            return _form_page(request, form, holder=request.user, logs=logs, status=503)
        return _issue(request, _scope(request.user, form))
    return _form_page(request, form, holder=request.user, logs=logs)


def _partner_studies(user: User) -> QuerySet[Study]:
    """The studies the person is or was a partner in, or recorded involvement in."""
    return (
        Study.objects.filter(
            Q(memberships__user=user, memberships__role=Role.PARTNER)
            | Q(contributions__partner=user)
        )
        .distinct()
        .order_by("title", "id")
    )


def _scope(holder: User, form: LogForm) -> LogScope:
    data = form.cleaned_data
    return LogScope(
        holder=holder,
        start=data["start"],
        end=data["end"],
        study_ids=tuple(sorted(study.pk for study in data["studies"])),
        include_payments=data["include_payments"],
    )


def _coordinated_studies(coordinator: User, partner: User) -> QuerySet[Study]:
    """The partner's studies that this coordinator runs now."""
    return (
        Study.objects.filter(
            pk__in=Membership.objects.filter(
                user=coordinator, role=Role.COORDINATOR, left_on__isnull=True
            ).values("study_id")
        )
        .filter(
            pk__in=Membership.objects.filter(user=partner, role=Role.PARTNER).values("study_id")
        )
        .order_by("title", "id")
    )


@study_view(Action.PRODUCE_PARTNER_LOGS)
@counts_towards(EXPORTS)
@require_http_methods(["GET", "POST"])
def partner_log_new(
    request: AuthenticatedHttpRequest, access: StudyAccess, user_id: int
) -> HttpResponseBase:
    """A coordinator makes a partner's log for them (one who is offline, say)."""
    partner = partner_in(access, user_id)
    studies = _coordinated_studies(request.user, partner)
    form = LogForm(request.POST if request.method == "POST" else None, studies=studies)
    mine = coordinated_study_ids(request.user)
    logs = [
        log
        for log in InvolvementLog.objects.filter(holder=partner).select_related("produced_by")
        if access.study.pk in log.study_ids and covers_only(log, mine)
    ]
    if request.method == "POST" and form.is_valid():
        if pdf_problem():
            return _form_page(
                request, form, holder=partner, logs=logs, study=access.study, status=503
            )
        return _issue(request, _scope(partner, form))
    return _form_page(request, form, holder=partner, logs=logs, study=access.study)


@login_required
@never_cache
@require_safe
def log_detail(request: AuthenticatedHttpRequest, log_id: int) -> HttpResponse:
    log = log_for(request.user, log_id)
    context = _log_context(request, log)
    due = request.session.get(DOWNLOAD_NOW) == log.pk and not request.headers.get("HX-Request")
    if due:
        del request.session[DOWNLOAD_NOW]
    context["download_now"] = due and log.downloadable
    if request.headers.get("HX-Request"):
        return render(request, "home/logs/_log_status.html", context)
    return render(request, "home/logs/log_detail.html", context)


def _log_context(request: AuthenticatedHttpRequest, log: InvolvementLog) -> dict[str, Any]:
    mine = log.holder_id == request.user.pk
    # A coordinator came from the partner's page in one of their studies: the way back.
    study = None
    if not mine:
        study = Study.objects.filter(pk__in=log.study_ids).order_by("title", "id").first()
    return {
        "log": log,
        "mine": mine,
        "study": study,
        "verify_url": verify_url(log.code),
        "keep_days": settings.LOG_KEEP_DAYS,
    }


@login_required
@require_safe
def log_download(request: AuthenticatedHttpRequest, log_id: int) -> HttpResponseBase:
    log = log_for(request.user, log_id)
    if not log.downloadable:
        messages.error(request, _("This log cannot be downloaded. The page says why."))
        return redirect("log_detail", log_id=log.pk)
    try:
        return _download(log)
    except FileNotFoundError:
        messages.error(
            request,
            _(
                "The file of this log cannot be found on the server. Make a new log, or tell "
                "the site admin."
            ),
        )
        return redirect("log_detail", log_id=log.pk)


@login_required
@require_http_methods(["GET", "POST"])
def log_withdraw_view(request: AuthenticatedHttpRequest, log_id: int) -> HttpResponse:
    """Asks first: a withdrawn log cannot be brought back."""
    log = log_for(request.user, log_id)
    if log.withdrawn_at is not None:
        return redirect("log_detail", log_id=log.pk)
    if request.method == "GET":
        return render(request, "home/logs/log_withdraw.html", _log_context(request, log))
    log_withdraw(log, by=request.user)
    messages.success(
        request,
        _("The log is withdrawn. Anyone checking its code is told it was withdrawn."),
    )
    return redirect("log_detail", log_id=log.pk)


@login_required
@require_POST
def log_retry_view(request: AuthenticatedHttpRequest, log_id: int) -> HttpResponse:
    log = log_for(request.user, log_id)
    if log.state != LogState.FAILED or log.withdrawn_at is not None:
        return redirect("log_detail", log_id=log.pk)
    problem = pdf_problem()
    if problem:
        messages.error(request, problem)
        return redirect("log_detail", log_id=log.pk)
    started = log_retry(log)
    if started is not None:
        if builds_in_background(started):
            _queue(started)
        else:
            log_build(started)
    return redirect("log_detail", log_id=log.pk)


# --- the public verification page ----------------------------------------------------


def _verification(request: HttpRequest, typed: str) -> HttpResponse:
    code = code_normalise(typed)
    # One lookup whatever was typed, so a malformed code takes as long as an unknown one.
    log = (
        InvolvementLog.objects.filter(code=code or "", state=LogState.READY)
        .only("withdrawn_at", "holder_name", "period_start", "period_end", "issued_at", "digest")
        .first()
    )
    if log is None:
        return render(
            request,
            "home/logs/verify.html",
            {"form": VerifyForm(initial={"code": typed}), "not_found": True, "typed": typed},
            status=404,
        )
    return render(request, "home/logs/verify_result.html", {"log": log})


def _verify_rate(group: str, request: HttpRequest) -> str:
    return str(settings.LOG_VERIFY_RATE)


def _limited(request: HttpRequest) -> HttpResponse | None:
    if getattr(request, "limited", False):
        return render(request, "home/logs/verify_limited.html", status=429)
    return None


@never_cache
@ratelimit(group="log_verify", key="ip", rate=_verify_rate, block=False)  # type: ignore[untyped-decorator]
@require_safe
def log_verify(request: HttpRequest) -> HttpResponse:
    """Anyone, without logging in, types the code printed on a log."""
    limited = _limited(request)
    if limited:
        return limited
    form = VerifyForm(request.GET or None)
    if request.GET and form.is_valid():
        return _verification(request, form.cleaned_data["code"])
    return render(request, "home/logs/verify.html", {"form": form}, status=200)


@never_cache
@ratelimit(group="log_verify", key="ip", rate=_verify_rate, block=False)  # type: ignore[untyped-decorator]
@require_safe
def log_verify_code(request: HttpRequest, code: str) -> HttpResponse:
    """The address printed on a log, with its code."""
    limited = _limited(request)
    if limited:
        return limited
    return _verification(request, code)
