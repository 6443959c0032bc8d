"""Typed readers for environment variables that fail loudly on a bad value."""

from __future__ import annotations

import os
import re

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
# A rate limit as django-ratelimit reads it: how many, then per second, minute, hour or day,
# optionally several of them ("10/5m").
RATE_PATTERN = re.compile(r"([1-9][0-9]*)/([1-9][0-9]*)?([smhd])")
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    """A text value; an empty value counts as unset, as env files often leave them."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a yes/no value (use true or false).")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    """A rate limit such as 30/h (30 an hour) or 10/m; 10/5m is 10 every 5 minutes."""
    value = env_str(name, default).strip()
    if RATE_PATTERN.fullmatch(value) is None:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate: a number, a slash and s, m, h or d "
            "(for example 30/h)."
        )
    return value
