"""Settings readers fail loudly on a bad value, rather than guessing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_rate, env_str

NAME = "PPIE_TEST_SETTING"


@pytest.fixture(autouse=True)
def _unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "Yes", "on", " true "])
def test_it_reads_true_values(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    assert env_bool(NAME, False) is True


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "OFF", ""])
def test_it_reads_false_values(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    assert env_bool(NAME, True) is False


@pytest.mark.parametrize("default", [True, False])
def test_it_uses_the_bool_default_when_unset(default):
    assert env_bool(NAME, default) is default


@pytest.mark.parametrize("value", ["maybe", "tru", "2", "enabled", "y e s"])
def test_it_refuses_a_value_that_is_not_yes_or_no(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_bool(NAME, False)


@pytest.mark.parametrize(("value", "expected"), [("42", 42), (" 7 ", 7), ("-3", -3), ("0", 0)])
def test_it_reads_whole_numbers(monkeypatch, value, expected):
    monkeypatch.setenv(NAME, value)
    assert env_int(NAME, 1) == expected


@pytest.mark.parametrize("value", ["", "   "])
def test_it_uses_the_int_default_for_an_empty_value(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    assert env_int(NAME, 14) == 14


def test_it_uses_the_int_default_when_unset():
    assert env_int(NAME, 14, minimum=1) == 14


@pytest.mark.parametrize("value", ["abc", "1.5", "14 days", "1e3", "0x10"])
def test_it_refuses_a_value_that_is_not_a_whole_number(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int(NAME, 1)


@pytest.mark.parametrize("value", ["0", "-1"])
def test_it_refuses_a_number_below_the_minimum(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    with pytest.raises(ImproperlyConfigured, match="below the minimum of 1"):
        env_int(NAME, 14, minimum=1)


def test_it_accepts_the_minimum_itself(monkeypatch):
    monkeypatch.setenv(NAME, "1")
    assert env_int(NAME, 14, minimum=1) == 1


def test_it_splits_a_list_on_commas_and_trims_it(monkeypatch):
    monkeypatch.setenv(NAME, " a.example , b.example,,c.example ,")
    assert env_list(NAME, ["default"]) == ["a.example", "b.example", "c.example"]


def test_it_uses_the_list_default_when_unset():
    assert env_list(NAME, ["localhost"]) == ["localhost"]


def test_it_reads_an_empty_list_as_unset(monkeypatch):
    monkeypatch.setenv(NAME, "")
    assert env_list(NAME, ["localhost"]) == ["localhost"]


def test_it_reads_a_string(monkeypatch):
    monkeypatch.setenv(NAME, "value with spaces")
    assert env_str(NAME) == "value with spaces"
    assert env_str(NAME, "default") == "value with spaces"


def test_it_uses_the_string_default_when_unset():
    assert env_str(NAME, "fallback") == "fallback"
    assert env_str(NAME, "") == ""


def test_it_refuses_a_missing_required_string():
    with pytest.raises(ImproperlyConfigured, match=f"{NAME} must be set"):
        env_str(NAME)


@pytest.mark.parametrize("value", ["30/h", "10/m", "10/5m", "1/d", " 20/s "])
def test_it_reads_rates(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    assert env_rate(NAME, "1/m") == value.strip()


@pytest.mark.parametrize("value", ["30", "0/h", "30/hour", "ten/m", "30/h/2", "-1/m"])
def test_it_refuses_a_rate_it_cannot_read(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_rate(NAME, "1/m")
