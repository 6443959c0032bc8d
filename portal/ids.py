"""Database ids as a browser sends them: in addresses, form fields and ticked boxes.

Every id goes through one check before the database sees it: ASCII digits, short enough to
fit a bigint. A longer number makes SQLite raise ``OverflowError`` and PostgreSQL refuse the
query, so it must be answered as a wrong choice (or a 404) before it gets there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

# 18 digits stay below 2**63, the largest bigint.
ID_PATTERN = "[0-9]{1,18}"
_ID = re.compile(rf"{ID_PATTERN}")


def is_id(value: object) -> bool:
    """Whether a value sent by a browser can be looked up as an id."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value < 10**18
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def ids_from(values: Iterable[object]) -> list[int] | None:
    """The ids sent, in order; None when any of them is not an id at all."""
    chosen = list(values)
    if not all(is_id(value) for value in chosen):
        return None
    return [int(str(value)) for value in chosen]


_CHOOSE_FROM_LIST = _("Choose from the options listed.")


def _sent_ids_only(field: forms.ModelChoiceField[Any], value: object) -> None:
    if field.to_field_name not in (None, "pk", "id"):
        return
    if isinstance(value, models.Model) or is_id(value):
        return
    raise forms.ValidationError(field.error_messages["invalid_choice"], code="invalid_choice")


class IdChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A choice of one row by its id: anything but a possible id is a wrong choice."""

    default_error_messages = {"invalid_choice": _CHOOSE_FROM_LIST}

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            _sent_ids_only(self, value)
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """A choice of several rows by their ids: one value that is not a possible id refuses all."""

    default_error_messages = {
        "invalid_choice": _CHOOSE_FROM_LIST,
        "invalid_pk_value": _CHOOSE_FROM_LIST,
    }

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            for item in value:
                _sent_ids_only(self, item)
        return super().clean(value)
