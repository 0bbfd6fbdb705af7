"""International calls rated and charged once, in the call record import's job (any database)."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_subscriber
from plugline.accounts.models import User
from plugline.minutes.models import MinutesEntry, MinutesEntryKind, UnratedCall
from plugline.minutes.rating import calls_rate
from plugline.minutes.selectors import minutes_balance, minutes_last_calls
from plugline.rates.tests.factories import make_rate
from plugline.telephony.callrecords import call_records_import
from plugline.telephony.models import CallRecord, KamailioAcc
from plugline.telephony.tests.sip_factory import Line, make_line

pytestmark = pytest.mark.django_db

T0 = int(datetime(2026, 12, 4, 18, 0, tzinfo=UTC).timestamp())
LONDON = "442071234567"


def accounted(
    callid: str,
    *,
    seconds: int | None = 90,
    caller: str = "12125550147",
    callee: str = LONDON,
    code: str = "200",
    at: int = T0,
) -> None:
    """Kamailio's rows of a call answered 2 s after its INVITE and hung up `seconds` later
    (None: still going)."""
    KamailioAcc.objects.create(
        method="INVITE",
        callid=callid,
        sip_code=code,
        caller=caller,
        callee=callee,
        invite_ts=str(at),
        event_ts=str(at + 2),
    )
    if seconds is not None:
        KamailioAcc.objects.create(
            method="BYE", callid=callid, sip_code="200", event_ts=str(at + 2 + seconds)
        )


def owner(line: Line) -> User:
    user = line.boxed.device.owner
    assert user is not None
    return user


@pytest.fixture
def alice_line() -> Line:
    line = make_line(make_subscriber(numbers=()).user)
    MinutesEntry.objects.create(
        user=line.boxed.device.owner, kind=MinutesEntryKind.TOP_UP, amount=500, currency="USD"
    )
    return line


def test_it_charges_an_international_call_once_at_its_rate(alice_line: Line):
    make_rate("44", price_per_minute=60, increments=(1, 1))
    make_rate("4420", price_per_minute=120, connection_fee=5, increments=(60, 60))
    accounted("c1", seconds=90)
    user = owner(alice_line)

    call_records_import()
    call_records_import()

    [charge] = MinutesEntry.objects.filter(kind=MinutesEntryKind.CALL_CHARGE)
    # +4420 (the longest prefix): 5 + 2 minutes at 120.
    assert charge.amount == -245 and charge.user == user
    assert charge.call_record == CallRecord.objects.get(call_id="c1")
    assert minutes_balance(user=user) == 500 - 245
    [last] = minutes_last_calls(user=user)
    assert (last.number, last.cost) == ("+44 20 7123 4567", 245)


def test_it_rates_a_call_at_the_rate_valid_when_it_started(alice_line: Line):
    started = datetime.fromtimestamp(T0, tz=UTC)
    make_rate("44", price_per_minute=60, increments=(1, 1))
    make_rate(
        "44", price_per_minute=600, increments=(1, 1), valid_from=started + timedelta(seconds=1)
    )
    accounted("c1", seconds=30)

    call_records_import()

    assert MinutesEntry.objects.get(kind=MinutesEntryKind.CALL_CHARGE).amount == -30


def test_it_charges_a_call_once_it_has_ended(alice_line: Line):
    make_rate("44", price_per_minute=60, increments=(1, 1))
    accounted("c1", seconds=None)

    call_records_import()
    assert not MinutesEntry.objects.filter(kind=MinutesEntryKind.CALL_CHARGE).exists()

    KamailioAcc.objects.create(method="BYE", callid="c1", sip_code="200", event_ts=str(T0 + 62))
    call_records_import()

    assert MinutesEntry.objects.get(kind=MinutesEntryKind.CALL_CHARGE).amount == -60


def test_it_never_charges_free_incoming_or_unanswered_calls(alice_line: Line):
    make_rate("44", price_per_minute=60, increments=(1, 1))
    make_rate("2", price_per_minute=60, increments=(1, 1))
    accounted("free", callee="13105550100")
    accounted("incoming", caller=LONDON, callee="12125550147")
    accounted("busy", code="486")
    accounted("emergency", callee="911")

    call_records_import()

    assert CallRecord.objects.count() == 4
    assert not MinutesEntry.objects.filter(kind=MinutesEntryKind.CALL_CHARGE).exists()
    assert not UnratedCall.objects.exists()
    assert minutes_balance(user=owner(alice_line)) == 500


def test_it_sets_a_call_without_a_rate_aside_for_staff_and_charges_nothing(
    alice_line: Line, caplog: pytest.LogCaptureFixture
):
    make_rate("33", price_per_minute=60, increments=(1, 1))
    accounted("c1", seconds=90)

    with caplog.at_level(logging.WARNING, logger="plugline.minutes.rating"):
        call_records_import()
        call_records_import()

    [unrated] = UnratedCall.objects.all()
    assert unrated.call_record.call_id == "c1" and unrated.reason == "no_rate"
    assert "+442071234567" in caplog.text
    assert caplog.text.count("not charged") == 1
    assert not MinutesEntry.objects.filter(kind=MinutesEntryKind.CALL_CHARGE).exists()
    assert minutes_balance(user=owner(alice_line)) == 500


def ended_calls(line: Line, numbers: range) -> None:
    """Calls already imported and ended, not rated yet: odd ones to London, even ones to Paris."""
    started = datetime.fromtimestamp(T0, tz=UTC)
    CallRecord.objects.bulk_create(
        CallRecord(
            call_id=f"c{number}",
            caller="+12125550147",
            callee="+442071234567" if number % 2 else "+33142685300",
            caller_device=line.boxed.device,
            started_at=started,
            answered_at=started,
            ended_at=started + timedelta(seconds=number),
            duration_seconds=number,
            outcome="answered",
            sip_code="200",
        )
        for number in numbers
    )


def test_it_rates_a_batch_of_calls_in_as_many_queries_as_one(alice_line: Line):
    make_rate("44", price_per_minute=60, increments=(1, 1))
    make_rate("33", price_per_minute=120, increments=(1, 1))
    ended_calls(alice_line, range(1, 2))
    first = list(CallRecord.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as one:
        assert calls_rate(first) == 1
    ended_calls(alice_line, range(2, 92))
    rest = list(CallRecord.objects.exclude(pk__in=first).values_list("pk", flat=True))

    with CaptureQueriesContext(connection) as many:
        assert calls_rate(rest) == 90

    assert len(many.captured_queries) == len(one.captured_queries)
    charges = dict(
        MinutesEntry.objects.filter(kind=MinutesEntryKind.CALL_CHARGE).values_list(
            "call_record__call_id", "amount"
        )
    )
    assert len(charges) == 91
    assert (charges["c1"], charges["c31"], charges["c32"]) == (-1, -31, -64)


def test_the_import_rates_only_the_calls_it_ends_and_rate_calls_the_backlog(alice_line: Line):
    from django.core.management import call_command

    make_rate("44", price_per_minute=60, increments=(1, 1))
    make_rate("33", price_per_minute=120, increments=(1, 1))
    ended_calls(alice_line, range(1, 4))  # ended before rating was deployed
    accounted("new", seconds=5)

    call_records_import()

    charged = MinutesEntry.objects.filter(kind=MinutesEntryKind.CALL_CHARGE)
    assert list(charged.values_list("call_record__call_id", "amount")) == [("new", -5)]

    call_command("rate_calls", stdout=(out := io.StringIO()))
    call_command("rate_calls", stdout=io.StringIO())

    assert "3 international calls charged" in out.getvalue()
    assert sorted(charged.values_list("call_record__call_id", "amount")) == [
        ("c1", -1),
        ("c2", -4),
        ("c3", -3),
        ("new", -5),
    ]
    assert minutes_balance(user=owner(alice_line)) == 500 - 13
