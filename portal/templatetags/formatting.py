"""Template filters for time, money and devices, so every page shows them the same way."""

from __future__ import annotations

from decimal import Decimal

from django import template

from portal import formatting

register = template.Library()


@register.filter
def duration(minutes: int | None) -> str:
    return formatting.duration(minutes)


@register.filter
def money(value: Decimal | int | float | str | None) -> str:
    return formatting.money(value)


@register.filter
def device(user_agent: str | None) -> str:
    return formatting.device_name(user_agent)
