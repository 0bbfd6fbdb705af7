"""Calls Kamailio refused because the callee blocks the caller (sip_blocked_call): the import
records each once, as blocked, in the callee's history (any database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conftest import make_subscriber
from plugline.telephony.callrecords import (
    call_history_export,
    call_records_import,
    device_call_history_page,
)
from plugline.telephony.models import BlockedCall, CallOutcome, CallRecord, KamailioAcc
from plugline.telephony.tests.sip_factory import Line, make_line

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


@pytest.fixture
def bob() -> Line:
    return make_line(
        make_subscriber("bob@example.com", numbers=()).user,
        serial="PLS10000002",
        number="+12125550148",
    )


def refused(call_id: str, caller: str, *, reason: str = "blocked") -> BlockedCall:
    """What Kamailio inserts when it declines a call to Bob (callee: his SIP user)."""
    return BlockedCall.objects.create(
        call_id=call_id, callee="12125550148", caller=caller, reason=reason, created_at=AT
    )


def test_it_records_a_blocked_call_once_as_blocked_in_the_callees_history(bob: Line):
    refused("b1", "13105550123")

    assert call_records_import() == 1
    assert call_records_import() == 0

    [record] = CallRecord.objects.all()
    assert (record.caller, record.callee) == ("+13105550123", "+12125550148")
    assert (record.outcome, record.sip_code) == (CallOutcome.BLOCKED, "603")
    assert record.callee_device == bob.boxed.device
    assert record.started_at == AT and record.answered_at is None
    assert not BlockedCall.objects.exists()
    _, calls = device_call_history_page(device_id=bob.boxed.device.pk, page=1)
    assert [(call.outgoing, call.blocked, call.missed) for call in calls] == [(False, True, False)]


def test_a_blocked_call_that_was_also_accounted_is_recorded_once_as_blocked(bob: Line):
    refused("b1", "13105550123")
    KamailioAcc.objects.create(
        method="INVITE",
        callid="b1",
        sip_code="603",
        caller="13105550123",
        callee="12125550148",
        invite_ts=str(int(AT.timestamp())),
    )

    assert call_records_import() == 1

    assert CallRecord.objects.get().outcome == CallOutcome.BLOCKED
    assert not KamailioAcc.objects.exists() and not BlockedCall.objects.exists()


def test_it_never_shows_the_number_of_a_caller_refused_for_hiding_it(bob: Line):
    # Sent with "Privacy: id": the From user is a number the caller asked to withhold.
    refused("b1", "13105550123", reason="anonymous")

    call_records_import()

    assert CallRecord.objects.get().caller == ""
    _, [shown] = device_call_history_page(device_id=bob.boxed.device.pk, page=1)
    assert not shown.other_party_is_number
    assert not shown.can_block


def test_the_plugline_caller_the_callee_blocks_sees_a_failed_call_not_a_block(bob: Line):
    alice = make_line(make_subscriber("alice@example.com", numbers=()).user)
    refused("b1", "12125550147")

    call_records_import()

    record = CallRecord.objects.get()
    assert record.caller_device == alice.boxed.device
    _, [alices] = device_call_history_page(device_id=alice.boxed.device.pk, page=1)
    assert (alices.outgoing, alices.blocked, alices.outcome) == (True, False, CallOutcome.FAILED)
    _, [bobs] = device_call_history_page(device_id=bob.boxed.device.pk, page=1)
    assert (bobs.blocked, bobs.outcome) == (True, CallOutcome.BLOCKED)


@pytest.mark.parametrize("caller", ["3105550123", "310-555-0123", "+13105550123", "13105550123"])
def test_it_reads_a_carriers_caller_in_any_usual_form_as_its_e164_number(bob: Line, caller: str):
    KamailioAcc.objects.create(
        method="INVITE",
        callid="c1",
        sip_code="480",
        caller=caller,
        callee="12125550148",
        invite_ts=str(int(AT.timestamp())),
    )
    refused("b1", caller)

    call_records_import()

    assert sorted(CallRecord.objects.values_list("caller", flat=True)) == ["+13105550123"] * 2


def test_911_and_names_stay_as_they_are():
    KamailioAcc.objects.create(
        method="INVITE",
        callid="c1",
        sip_code="200",
        caller="anonymous",
        callee="911",
        invite_ts=str(int(AT.timestamp())),
    )

    call_records_import()

    assert CallRecord.objects.values_list("caller", "callee").get() == ("anonymous", "911")


def test_the_data_export_tells_the_callee_of_the_block_and_the_caller_of_a_failed_call(bob: Line):
    alice = make_subscriber("alice@example.com", numbers=()).user
    make_line(alice)
    refused("b1", "12125550147")
    call_records_import()

    [alices] = call_history_export(alice)
    assert bob.boxed.device.owner is not None
    [bobs] = call_history_export(bob.boxed.device.owner)

    assert (alices["direction"], alices["outcome"]) == ("outgoing", "failed")
    assert (bobs["direction"], bobs["outcome"]) == ("incoming", "blocked")
