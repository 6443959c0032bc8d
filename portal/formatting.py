"""How time and money are shown, the same on every page, email, PDF and export."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PENNY = Decimal("0.01")


def duration(minutes: int | None) -> str:
    """Time spent, the one way every page, email and PDF shows it: 210 -> "3 h 30 min",
    45 -> "45 min", 120 -> "2 h", nothing -> "0 min".

    Short, so that a table's columns stay narrow on a phone; a number is never split from its
    unit at the end of a line (a no-break space joins them). Spreadsheets keep ``hours``.
    """
    whole, rest = divmod(int(minutes or 0), 60)
    parts = []
    if whole:
        parts.append(_("%(n)s\u00a0h") % {"n": f"{whole:,}"})
    if rest or not whole:
        parts.append(_("%(n)s\u00a0min") % {"n": rest})
    return " ".join(parts)


def hours(minutes: int | None) -> Decimal:
    """Minutes as a number of hours, to at most two places: 90 -> 1.5, 20 -> 0.33, 60 -> 1.

    For spreadsheets, which add the column up; pages show ``duration``.
    """
    exact = (Decimal(int(minutes or 0)) / Decimal(60)).quantize(PENNY, rounding=ROUND_HALF_UP)
    return Decimal(str(exact).rstrip("0").rstrip("."))


def money_amount(value: Decimal | int | float | str | None) -> Decimal:
    """A sum of money to the penny; nothing is £0.00."""
    return Decimal(str(value if value is not None else 0)).quantize(PENNY, rounding=ROUND_HALF_UP)


def money(value: Decimal | int | float | str | None) -> str:
    """A sum of money as people read it: "£1,234.50"."""
    return f"£{money_amount(value):,.2f}"


# What a date box says when what was typed is not a date. The box is a date picker, so no
# typed example: browsers show dates in the reader's own order.
REAL_DATE = gettext_lazy(
    "Enter a real date: choose it in the calendar, or type the day, month and year."
)


def device_name(user_agent: str | None) -> str:
    """A browser's own description of itself as people would say it: "Safari on an iPhone",
    "Chrome on Windows". ua-parser reads the string; what it cannot name is "Not known"."""
    # Imported here: its patterns load on first use only, not with every page's filters.
    from ua_parser import parse

    found = parse(user_agent or "")
    browser = found.user_agent.family if found.user_agent else ""
    browser = browser.removeprefix("Headless").replace("Mobile Safari", "Safari")
    device = found.device.family if found.device else ""
    system = found.os.family if found.os else ""
    on = device if device and device not in {"Other", "Mac", "Spider"} else system
    if on in {"iPhone", "iPad"}:
        on = f"an {on}"
    if browser and browser != "Other" and on and on != "Other":
        return _("%(browser)s on %(on)s") % {"browser": browser, "on": on}
    if browser and browser != "Other":
        return browser
    return str(_("Not known"))
