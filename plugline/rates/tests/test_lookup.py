"""The rate of a number (its longest prefix, as valid at a moment) and what a call costs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plugline.rates.lookup import (
    call_cost,
    number_is_free,
    prefix_country,
    rate_for_number,
    rates_for_numbers,
)
from plugline.rates.models import Rate
from plugline.rates.tests.factories import make_rate

JAN = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
JUL = dt.datetime(2027, 7, 1, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_it_rates_a_number_by_its_longest_prefix_in_one_query():
    make_rate("44", destination="United Kingdom")
    make_rate("447", destination="United Kingdom - Mobile")
    make_rate("4420", destination="United Kingdom - London")
    make_rate("33", destination="France")

    with CaptureQueriesContext(connection) as queries:
        london = rate_for_number("+442079460018")
    assert len(queries) == 1
    assert london is not None and london.destination == "United Kingdom - London"
    mobile = rate_for_number("447700900123")
    assert mobile is not None and mobile.destination == "United Kingdom - Mobile"
    leeds = rate_for_number("+441134960000")
    assert leeds is not None and leeds.destination == "United Kingdom"
    assert rate_for_number("+4930123456") is None


@pytest.mark.django_db
def test_it_uses_for_each_prefix_the_rate_valid_at_the_moment_asked():
    make_rate("44", price_per_minute=3, valid_from=JAN)
    make_rate("44", price_per_minute=2, valid_from=JUL)
    make_rate("4420", price_per_minute=1, valid_from=JUL)

    def price(at: dt.datetime) -> int | None:
        rate = rate_for_number("+442079460018", at=at)
        return rate.price_per_minute if rate else None

    assert price(JAN - dt.timedelta(seconds=1)) is None
    assert price(JAN) == 3
    assert price(JUL - dt.timedelta(seconds=1)) == 3
    # From July, London has a rate of its own, and the rest of the UK a new one.
    assert price(JUL) == 1
    rest = rate_for_number("+441134960000", at=JUL)
    assert rest is not None and rest.price_per_minute == 2


@pytest.mark.django_db
def test_it_never_rates_a_number_in_the_us_or_canada():
    make_rate("44")
    for number in ["+12125550147", "14165550148", "+18765550100"]:
        assert number_is_free(number)
        assert rate_for_number(number) is None
    assert not number_is_free("+442079460018")


@pytest.mark.django_db
def test_it_refuses_a_prefix_starting_with_1_in_the_database():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        make_rate("1876")
    assert not Rate.objects.exists()


@pytest.mark.django_db
def test_it_rates_nothing_that_is_not_a_number():
    make_rate("44")
    assert rate_for_number("") is None
    assert rate_for_number("+44 20 7946 0018") is None
    assert rate_for_number("44abc") is None


def _rate(price: int, fee: int, first: int, following: int) -> Rate:
    return Rate(
        prefix="44",
        destination="United Kingdom",
        price_per_minute=price,
        connection_fee=fee,
        first_increment=first,
        next_increment=following,
        currency="USD",
    )


@pytest.mark.parametrize(
    ("seconds", "cost"),
    [(0, 0), (1, 10), (59, 10), (60, 10), (61, 20), (120, 20), (121, 30), (3600, 600)],
)
def test_it_bills_whole_minutes_at_60_60(seconds: int, cost: int):
    assert call_cost(_rate(10, 0, 60, 60), seconds) == cost


@pytest.mark.parametrize(
    ("seconds", "cost"),
    # 12 cents a minute is 0.2 cents a second: 30 s cost 6, then 1.2 cents each 6 s
    # (61 s are billed as 66 s: 13.2 cents, so 14).
    [(0, 0), (1, 6), (30, 6), (31, 8), (36, 8), (37, 9), (60, 12), (61, 14), (90, 18)],
)
def test_it_bills_30_seconds_then_every_6_seconds_at_30_6(seconds: int, cost: int):
    assert call_cost(_rate(12, 0, 30, 6), seconds) == cost


@pytest.mark.parametrize(
    ("seconds", "cost"),
    # 6 cents a minute: a tenth of a cent a second, rounded up to a whole cent.
    [(0, 0), (1, 1), (10, 1), (11, 2), (60, 6), (61, 7)],
)
def test_it_bills_every_second_at_1_1_rounding_up_to_a_cent(seconds: int, cost: int):
    assert call_cost(_rate(6, 0, 1, 1), seconds) == cost


def test_it_adds_the_connection_fee_to_an_answered_call_only():
    rate = _rate(10, 15, 60, 60)
    assert call_cost(rate, 0) == 0
    assert call_cost(rate, 1) == 25
    assert call_cost(rate, 61) == 35
    assert call_cost(rate, -5) == 0


@pytest.mark.parametrize(
    ("prefix", "country"),
    [
        ("44", "GB"),
        ("4420", "GB"),
        ("447624", "IM"),
        ("33", "FR"),
        ("45", "DK"),
        ("52", "MX"),
        ("77", "KZ"),
        ("7", "RU"),
        ("882", ""),
        ("2", ""),
    ],
)
def test_it_finds_the_country_a_prefix_dials(prefix: str, country: str):
    assert prefix_country(prefix) == country


@pytest.mark.django_db
def test_it_rates_many_calls_in_one_query_as_it_rates_each():
    make_rate("44", price_per_minute=3, valid_from=JAN)
    make_rate("44", price_per_minute=2, valid_from=JUL)
    make_rate("4420", price_per_minute=5, valid_from=JUL)
    make_rate("447", price_per_minute=7, valid_from=JAN)
    make_rate("33", price_per_minute=4, valid_from=JUL)
    calls = [
        (number, at)
        for number in [
            "+442079460018",
            "447700900123",
            "+441134960000",
            "+33142685300",
            "+4930123456",
            "+12125550147",
            "+44 20",
            "911",
        ]
        for at in [JAN - dt.timedelta(days=1), JAN, JUL - dt.timedelta(seconds=1), JUL]
    ]

    with CaptureQueriesContext(connection) as queries:
        rates = rates_for_numbers(calls)

    assert len(queries) == 1
    assert rates == [rate_for_number(number, at=at) for number, at in calls]
    assert {rate.pk for rate in rates if rate is not None} == set(
        Rate.objects.values_list("pk", flat=True)
    )
