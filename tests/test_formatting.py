"""Time and money are shown one way on every page, message and export."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from portal.formatting import duration, hours, money, money_amount

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [
        (0, "0 min"),
        (1, "1 min"),
        (45, "45 min"),
        (60, "1 h"),
        (95, "1 h 35 min"),
        (120, "2 h"),
        (210, "3 h 30 min"),
        (1439, "23 h 59 min"),
        (90_000, "1,500 h"),
        (None, "0 min"),
    ],
)
def test_it_shows_time_in_hours_and_minutes(minutes, shown):
    # A number and its unit are joined by a no-break space, so "3 h" never splits over lines.
    assert duration(minutes) == shown.replace(" h", f"{NBSP}h").replace(" min", f"{NBSP}min")


def test_time_is_never_a_decimal_number_of_hours():
    for minutes in (20, 30, 90, 210, 1439):
        assert "." not in duration(minutes)


@pytest.mark.parametrize(
    ("minutes", "number"),
    [(0, "0"), (20, "0.33"), (30, "0.5"), (60, "1"), (90, "1.5"), (600, "10"), (6000, "100")],
)
def test_spreadsheets_get_hours_as_a_number_to_at_most_two_places(minutes, number):
    # A number, not text, so that a spreadsheet can add the column up.
    assert hours(minutes) == Decimal(number)
    assert isinstance(hours(minutes), Decimal)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("12.5"), "£12.50"),
        (Decimal("1234.5"), "£1,234.50"),
        (0, "£0.00"),
        (None, "£0.00"),
        ("27.505", "£27.51"),
    ],
)
def test_it_shows_money_in_pounds_to_the_penny(value, text):
    assert money(value) == text
    assert money_amount(value) == Decimal(text.lstrip("£").replace(",", ""))


def test_templates_use_the_same_words_through_the_filters():
    template = Template("{% load formatting %}{{ minutes|duration }}; {{ due|money }}")
    shown = template.render(Context({"minutes": 95, "due": Decimal("1500")}))
    assert shown == f"1{NBSP}h 35{NBSP}min; £1,500.00"


@pytest.mark.parametrize(
    ("user_agent", "said"),
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
            "Safari on an iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/130.0.0.0 Safari/537.36",
            "Chrome on Windows",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/156.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        ("not a browser at all", "Not known"),
        ("", "Not known"),
        (None, "Not known"),
    ],
)
def test_a_device_is_named_as_people_would_say_it(user_agent: str | None, said: str) -> None:
    from portal.formatting import device_name

    assert device_name(user_agent) == said
