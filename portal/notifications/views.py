"""What's new (every notification a person was sent) and the one-click unsubscribe page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.accounts.models import User
from portal.http import AuthenticatedHttpRequest
from portal.notifications.selectors import inbox
from portal.notifications.services import notification_open, notifications_read_all
from portal.notifications.tokens import user_id_from_token
from portal.notifications.unsubscribe import unsubscribe


@login_required
@require_safe
def whats_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "notifications/whats_new.html", {"items": inbox(request.user)})


@login_required
@require_safe
def notification_follow(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Open what the notification is about, marking it read on the way (like a read receipt)."""
    notification = notification_open(user=request.user, notification_id=notification_id)  # type: ignore[arg-type]
    if notification is None:
        raise Http404("No such notification.")
    return redirect(notification.link if notification.link.startswith("/") else "whats_new")


@login_required
@require_POST
def whats_new_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_read_all(user=request.user)  # type: ignore[arg-type]
    if count:
        messages.success(request, _("Everything is marked as read."))
    return redirect("whats_new")


# RFC 8058: a mail program unsubscribes with a POST and no cookies, so no CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, unsubscribe_token: str) -> HttpResponse:
    user_id = user_id_from_token(unsubscribe_token)
    user = User.objects.filter(pk=user_id).first() if user_id is not None else None
    if user is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    done = False
    if request.method == "POST":
        unsubscribe(user=user)
        done = True
    return render(
        request, "notifications/unsubscribe.html", {"done": done, "token": unsubscribe_token}
    )
