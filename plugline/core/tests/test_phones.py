"""Phone numbers: any common way of writing one in, E.164 stored, national form shown."""

from __future__ import annotations

import pytest

from plugline.core.phones import format_phone_number, normalize_phone_number


@pytest.mark.parametrize(
    "typed",
    [
        "(212) 555-0147",
        "212-555-0147",
        "212.555.0147",
        "2125550147",
        "1-212-555-0147",
        "+1 212 555 0147",
        "+12125550147",
        "  (212) 555-0147  ",
    ],
)
def test_it_reads_the_common_ways_of_writing_a_number(typed: str):
    assert normalize_phone_number(typed) == "+12125550147"


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "alice@example.com", "call me", "555-0147", "+1 212 555 01470000", "9" * 41],
)
def test_it_refuses_what_is_not_a_phone_number(typed: str):
    assert normalize_phone_number(typed) is None


def test_it_reads_numbers_without_country_code_in_the_operators_region(settings):
    assert normalize_phone_number("020 7946 0958") is None
    assert normalize_phone_number("020 7946 0958", region="GB") == "+442079460958"
    settings.DEFAULT_PHONE_REGION = "GB"
    assert normalize_phone_number("020 7946 0958") == "+442079460958"
    assert normalize_phone_number("+1 212 555 0147") == "+12125550147"


def test_it_shows_numbers_of_the_home_plan_in_national_form():
    assert format_phone_number("+12125550147") == "(212) 555-0147"
    assert format_phone_number("+14165550148") == "(416) 555-0148"  # Canada shares +1
    assert format_phone_number("+442079460958") == "+44 20 7946 0958"


def test_it_shows_a_stored_value_it_cannot_parse_as_it_is():
    assert format_phone_number("not a number") == "not a number"
