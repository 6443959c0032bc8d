"""The request a view behind ``login_required`` sees, for type annotations."""

from __future__ import annotations

from django.http import HttpRequest

from portal.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """An ``HttpRequest`` whose user has logged in: a ``User``, never ``AnonymousUser``.

    Only views that ``login_required`` (or ``study_view``) guards are annotated with it; Django
    still passes them a plain ``HttpRequest``.
    """

    user: User
