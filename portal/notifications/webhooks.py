"""Replies by email through an email provider's inbound webhook (django-anymail).

anymail checks the request (basic auth with ANYMAIL's WEBHOOK_SECRET, and the provider's
signature where it signs) and sends its ``inbound`` signal; this hands the message on. Only
the provider named by INBOUND_PROVIDER has an address; the others answer 404.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern
from django.views.decorators.csrf import csrf_exempt

from portal.notifications.inbound import inbound_receive
from portal.notifications.reading import recipients_of

logger = logging.getLogger(__name__)
_SUFFIX = "_inbound_webhook"


def inbound_webhook_receive(sender: object, event: Any, esp_name: str, **kwargs: Any) -> None:
    message = event.message
    envelope_recipient = getattr(message, "envelope_recipient", None)
    recipients = [envelope_recipient] if envelope_recipient else recipients_of(message)
    try:
        inbound_receive(
            message=message,
            envelope_sender=getattr(message, "envelope_sender", None),
            recipients=recipients,
            via=f"webhook:{esp_name}"[:32],
        )
    except DatabaseError:
        raise  # the provider tries again later
    except Exception:
        # A fault of ours: logged for the team; the provider is not asked to send it again.
        logger.exception("A reply by email from %s could not be handled.", esp_name)


def _only_when_chosen(view: Callable[..., HttpResponse], esp: str) -> Callable[..., HttpResponse]:
    @csrf_exempt
    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if esp != settings.INBOUND_PROVIDER or not settings.REPLY_DOMAIN:
            raise Http404("No such address.")
        return view(request, *args, **kwargs)

    return guarded


def inbound_urlpatterns() -> list[URLPattern]:
    """anymail's inbound webhook addresses, each answering only for INBOUND_PROVIDER."""
    try:
        from anymail import urls as anymail_urls
    except ImportError:  # the "providers" extra is not installed
        return []
    patterns = []
    for pattern in anymail_urls.urlpatterns:
        name = getattr(pattern, "name", None) or ""
        if isinstance(pattern, URLPattern) and name.endswith(_SUFFIX):
            esp = name.removesuffix(_SUFFIX)
            patterns.append(
                URLPattern(
                    pattern.pattern,
                    _only_when_chosen(pattern.callback, esp),
                    pattern.default_args,
                    name,
                )
            )
    return patterns


def inbound_signal_connect() -> None:
    try:
        from anymail.signals import inbound
    except ImportError:
        return
    inbound.connect(inbound_webhook_receive, dispatch_uid="portal-replies-by-email")
