"""The longest call a balance pays for, as Kamailio reads it (the SQL function
sip_international_seconds, PostgreSQL): whole increments, connection fee first, never more
than the rating job then charges (plugline.rates.lookup.call_cost)."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from conftest import make_subscriber
from plugline.accounts.models import User
from plugline.core.tests.racing import needs_postgres
from plugline.minutes.allowance import MAX_CALL_SECONDS
from plugline.minutes.models import MinutesEntry, MinutesEntryKind
from plugline.rates.lookup import call_cost
from plugline.rates.tests.factories import make_rate
from plugline.telephony.roles import sip_database_role_grant
from plugline.telephony.tests.kamailio import ROLE, role_dsn, role_password
from plugline.telephony.tests.sip_factory import make_line

pytestmark = [needs_postgres, pytest.mark.django_db]

LONDON = "442071234567"


def seconds_paid(caller: str = "12125550147", number: str = LONDON) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sip_international_seconds(%s, %s)", [caller, number])
        (seconds,) = cursor.fetchone()
    return int(seconds)


def alice_with(balance: int) -> User:
    user = make_line(make_subscriber(numbers=()).user).boxed.device.owner
    assert user is not None
    if balance:
        MinutesEntry.objects.create(
            user=user, kind=MinutesEntryKind.TOP_UP, amount=balance, currency="USD"
        )
    return user


@pytest.mark.parametrize(
    ("price", "fee", "increments", "balance"),
    [
        (60, 0, (1, 1), 90),
        (60, 0, (1, 1), 91),
        (7, 0, (60, 60), 100),
        (13, 4, (30, 6), 57),
        (25, 10, (60, 1), 2000),
        (1, 0, (1, 1), 1),
        (199, 35, (30, 6), 1234),
    ],
)
def test_it_gives_the_whole_increments_the_balance_pays_for(
    price: int, fee: int, increments: tuple[int, int], balance: int
):
    rate = make_rate("44", price_per_minute=price, connection_fee=fee, increments=increments)
    alice_with(balance)

    seconds = seconds_paid()

    assert seconds >= increments[0]
    assert call_cost(rate, seconds) <= balance
    assert call_cost(rate, seconds + increments[1]) > balance


def test_it_gives_90_seconds_for_90_cents_at_60_cents_a_minute_per_second():
    make_rate("44", price_per_minute=60, increments=(1, 1))
    alice_with(90)

    assert seconds_paid() == 90


@pytest.mark.parametrize(("fee", "balance"), [(0, 0), (0, 59), (10, 69), (100, 50)])
def test_it_refuses_a_balance_short_of_the_first_increment(fee: int, balance: int):
    make_rate("44", price_per_minute=60, connection_fee=fee, increments=(60, 60))
    alice_with(balance)

    assert seconds_paid() == 0


def test_it_reads_the_longest_prefix_valid_now():
    make_rate("44", price_per_minute=600, increments=(1, 1))
    make_rate("4420", price_per_minute=60, increments=(1, 1))
    make_rate(
        "4420",
        price_per_minute=6000,
        increments=(1, 1),
        valid_from=timezone.now() + dt.timedelta(days=1),
    )
    alice_with(120)

    assert seconds_paid() == 120
    assert seconds_paid(number="447700900123") == 12


def test_it_says_when_no_rate_applies():
    make_rate("44", price_per_minute=60, increments=(1, 1))
    alice_with(500)

    assert seconds_paid(number="33142685300") == -1
    assert seconds_paid(number="4420 7123") == -1


def test_it_refuses_a_line_it_does_not_know_and_caps_a_free_destination():
    make_rate("44", price_per_minute=0, increments=(1, 1))
    alice_with(1)

    assert seconds_paid(caller="12125550100") == 0
    assert seconds_paid() == MAX_CALL_SECONDS


def test_it_counts_charges_and_other_currencies_apart():
    make_rate("44", price_per_minute=60, increments=(1, 1))
    user = alice_with(300)
    MinutesEntry.objects.create(
        user=user, kind=MinutesEntryKind.ADJUSTMENT, amount=-200, currency="USD", reason="x"
    )
    MinutesEntry.objects.create(
        user=user, kind=MinutesEntryKind.ADJUSTMENT, amount=5000, currency="EUR", reason="y"
    )

    assert seconds_paid() == 100


@pytest.mark.django_db(transaction=True)
def test_kamailios_role_may_ask_but_never_read_the_ledger():
    make_rate("44", price_per_minute=60, increments=(1, 1))
    alice_with(90)
    sip_database_role_grant(connection, role=ROLE, password=role_password())

    with psycopg.connect(role_dsn().replace("postgres://", "postgresql://")) as kamailio:
        assert kamailio.execute(
            "SELECT sip_international_seconds('12125550147', %s)", [LONDON]
        ).fetchone() == (90,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            kamailio.execute("SELECT sum(amount) FROM minutes_minutesentry")
