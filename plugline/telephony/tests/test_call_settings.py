"""Call settings as Kamailio reads them (the view sip_call_settings, the same SQL on SQLite
and PostgreSQL), their checks, and where a diverted call ends up in the call history."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from conftest import Subscriber
from plugline.telephony.callrecords import (
    DeviceCall,
    call_history_export,
    call_records_import,
    diverted_call_outcome,
)
from plugline.telephony.forwarding import call_settings_choice, forwarding_number_parse
from plugline.telephony.models import CallOutcome, CallRecord, CallSettings
from plugline.telephony.services import (
    call_settings_save,
    sip_account_provision,
    sip_line_end_for_new_owner,
)
from plugline.telephony.tests.call_factory import call

pytestmark = pytest.mark.django_db

OFF: dict[str, Any] = {
    "ring_seconds": 25,
    "do_not_disturb": False,
    "forward_always": False,
    "forward_busy": False,
    "forward_no_answer": False,
    "forward_unreachable": False,
    "forward_to": "",
}


def view_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT username, ring_seconds, dnd, fwd_always, fwd_busy, fwd_noanswer,"
            " fwd_unreachable, forward_to FROM sip_call_settings ORDER BY username"
        )
        return [tuple(row) for row in cursor.fetchall()]


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("(416) 555-0100", "+14165550100"),
        ("1-212-555-0148", "+12125550148"),
        ("+1 787 555 0100", "+17875550100"),  # Puerto Rico: home, as Kamailio dials it
    ],
)
def test_it_reads_a_forwarding_number_of_the_united_states_or_canada(typed: str, number: str):
    assert forwarding_number_parse(typed, own_number="+12125550147") == number


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("+44 20 7946 0958", "abroad"),
        ("+1 876 555 0100", "abroad"),  # Jamaica dials +1 too
        ("+12125550147", "own_number"),
        ("hello", "invalid"),
        ("555-0100", "invalid"),
    ],
)
def test_it_refuses_a_forwarding_number_it_cannot_use(typed: str, code: str):
    with pytest.raises(ValidationError) as refused:
        forwarding_number_parse(typed, own_number="+12125550147")
    assert refused.value.code == code


def test_it_asks_for_a_number_when_forwarding_is_on_and_checks_the_ring_time():
    with pytest.raises(ValidationError) as refused:
        call_settings_choice(own_number="+12125550147", **OFF | {"forward_no_answer": True})
    assert set(refused.value.message_dict) == {"forward_to"}

    for seconds in (14, 41):
        with pytest.raises(ValidationError) as refused:
            call_settings_choice(own_number="+12125550147", **OFF | {"ring_seconds": seconds})
        assert set(refused.value.message_dict) == {"ring_seconds"}


def test_kamailio_reads_the_saved_settings_by_the_lines_sip_user(alice: Subscriber):
    device = alice.devices[0]
    sip_account_provision(
        device_id=device.pk, serial=device.serial, phone_number=device.phone_number
    )
    assert view_rows() == []

    choice = call_settings_choice(
        own_number=device.phone_number or "",
        **OFF
        | {"ring_seconds": 15, "do_not_disturb": True, "forward_busy": True}
        | {"forward_to": "(416) 555-0100"},
    )
    call_settings_save(device_id=device.pk, owner=alice.user, choice=choice)

    assert view_rows() == [("12125550147", 15, 1, 0, 1, 0, 0, "14165550100")]


def test_the_settings_leave_with_the_device(alice: Subscriber):
    device = alice.devices[0]
    choice = call_settings_choice(
        own_number=device.phone_number or "", **OFF | {"do_not_disturb": True}
    )
    call_settings_save(device_id=device.pk, owner=alice.user, choice=choice)

    sip_line_end_for_new_owner(device_id=device.pk)

    assert not CallSettings.objects.filter(device=device).exists()


@pytest.mark.parametrize(
    ("sip_code", "diverted_to", "expected"),
    [
        ("200", "", (CallOutcome.ANSWERED, "")),
        ("200", "voicemail", (CallOutcome.VOICEMAIL, "")),
        # The voicemail server did not take it: what the device answered.
        ("486", "voicemail", (CallOutcome.BUSY, "")),
        ("200", "14165550100", (CallOutcome.FORWARDED, "+14165550100")),
        ("480", "12125550149", (CallOutcome.FORWARDED, "+12125550149")),
    ],
)
def test_it_records_where_kamailio_diverted_a_call(
    sip_code: str, diverted_to: str, expected: tuple[str, str]
):
    assert diverted_call_outcome(sip_code=sip_code, diverted_to=diverted_to) == expected


def test_only_the_callee_sees_where_a_call_was_forwarded(alice: Subscriber):
    record = call(
        1,
        caller="+13105550100",
        callee="+12125550147",
        outcome=CallOutcome.FORWARDED,
        callee_device=alice.devices[0],
    )
    record.forwarded_to = "+14165550100"
    record.sip_code = "200"

    received = DeviceCall(record=record, outgoing=False)
    placed = DeviceCall(record=record, outgoing=True)

    assert (received.outcome, received.forwarded_to_display) == ("forwarded", "(416) 555-0100")
    assert (placed.outcome, placed.forwarded_to_display) == (CallOutcome.ANSWERED, "")


def test_a_kamailio_without_the_diversion_columns_still_records_its_calls():
    # During an upgrade Kamailio may still run the configuration of before: its acc rows
    # name only the columns it knew, and must not be refused.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO kamailio_acc (method, from_tag, to_tag, callid, sip_code, sip_reason,"
            " caller, callee, invite_ts, event_ts) VALUES"
            " ('INVITE', 'a', 'b', 'old-config-call', '486', 'Busy Here',"
            " '12125550147', '12125550148', '1796440000', '1796440005')"
        )

    assert call_records_import() == 1
    record = CallRecord.objects.get(call_id="old-config-call")
    assert (record.outcome, record.forwarded_to) == (CallOutcome.BUSY, "")


def test_the_data_export_says_where_a_call_was_forwarded_to_the_callee_only(
    alice: Subscriber, bob: Subscriber
):
    record = call(
        1,
        caller="+13105550100",
        callee="+12125550147",
        outcome=CallOutcome.FORWARDED,
        caller_device=bob.devices[0],
        callee_device=alice.devices[0],
    )
    record.forwarded_to = "+14165550100"
    record.save(update_fields=["forwarded_to"])

    [alices] = call_history_export(alice.user)
    [bobs] = call_history_export(bob.user)

    assert (alices["outcome"], alices["forwarded_to"]) == ("forwarded", "+14165550100")
    assert (bobs["outcome"], bobs["forwarded_to"]) == (CallOutcome.NO_ANSWER, "")
