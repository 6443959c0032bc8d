import os
from typing import Any

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from portal import requestlog

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A task carries the id of the request that queued it, so its log lines can be found with it.
@before_task_publish.connect
def _send_request_id(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    if headers is not None and requestlog.current() != "-":
        headers.setdefault("request_id", requestlog.current())


_tokens: dict[str, Any] = {}


@task_prerun.connect
def _take_request_id(task_id: str = "", task: Any = None, **_kwargs: Any) -> None:
    given = getattr(getattr(task, "request", None), "request_id", None)
    _tokens[task_id] = requestlog.use(given if isinstance(given, str) else None)


@task_postrun.connect
def _drop_request_id(task_id: str = "", **_kwargs: Any) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        requestlog.forget(token)
