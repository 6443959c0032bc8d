"""Time and money are shown one way on every page, message and export."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from portal.formatting import duration, hours, hours_text, money, money_amount


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (0, "0 minutes"),
        (1, "1 minute"),
        (45, "45 minutes"),
        (60, "1 hour"),
        (95, "1 hour 35 minutes"),
        (120, "2 hours"),
        (1439, "23 hours 59 minutes"),
        (None, "0 minutes"),
    ],
)
def test_it_puts_time_into_words(minutes, words):
    assert duration(minutes) == words


@pytest.mark.parametrize(
    ("minutes", "number"),
    [(0, "0"), (20, "0.33"), (30, "0.5"), (60, "1"), (90, "1.5"), (600, "10"), (6000, "100")],
)
def test_it_gives_hours_to_at_most_two_places_without_trailing_zeros(minutes, number):
    assert hours_text(minutes) == number
    assert hours(minutes) == Decimal(number)
    # A number, not text, so that a spreadsheet can add the column up.
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
    template = Template(
        "{% load formatting %}{{ minutes|duration }}; {{ minutes|hours }} h; {{ due|money }}"
    )
    shown = template.render(Context({"minutes": 95, "due": Decimal("1500")}))
    assert shown == "1 hour 35 minutes; 1.58 h; £1,500.00"


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
