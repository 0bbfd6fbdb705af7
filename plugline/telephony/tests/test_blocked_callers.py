"""Blocked callers: what a subscriber types, read as a number or a prefix, and what Kamailio
reads of them (the views sip_blocked_caller and sip_anonymous_refused)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from conftest import Subscriber
from plugline.devices.services import device_release
from plugline.telephony.blocking import BlockedEntry, blocked_entry_parse
from plugline.telephony.models import BlockedCaller
from plugline.telephony.services import (
    anonymous_callers_refuse,
    blocked_caller_add,
    sip_account_provision,
)


@pytest.mark.parametrize(
    ("typed", "entry"),
    [
        ("(212) 555-0199", BlockedEntry("+12125550199", False)),
        ("+44 20 7183 8750", BlockedEntry("+442071838750", False)),
        ("1-900", BlockedEntry("+1900", True)),
        ("+1 900", BlockedEntry("+1900", True)),
        ("900", BlockedEntry("+1900", True)),
        ("+44 20", BlockedEntry("+4420", True)),
        ("+1 (876)", BlockedEntry("+1876", True)),
    ],
)
def test_it_reads_a_number_or_a_prefix_as_e164(typed: str, entry: BlockedEntry):
    assert blocked_entry_parse(typed) == entry


@pytest.mark.parametrize(
    "typed", ["", "anonymous", "+1", "+44", "1", "+0123", "12345678901234567", "9@0"]
)
def test_it_refuses_what_is_neither(typed: str):
    with pytest.raises(ValidationError):
        blocked_entry_parse(typed)


def rows(view: str) -> list[tuple]:
    """What Kamailio's role reads in `view`, sorted."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(view)}")  # noqa: S608 (a view name)
        return sorted(tuple(row) for row in cursor.fetchall())


def test_kamailio_reads_the_lines_blocked_numbers_and_prefixes_as_digits(alice: Subscriber):
    device = alice.devices[0]
    sip_account_provision(device_id=device.pk, serial=device.serial, phone_number="+12125550147")
    blocked_caller_add(device_id=device.pk, owner=alice.user, text="310 555 0123")
    blocked_caller_add(device_id=device.pk, owner=alice.user, text="1-900")

    assert rows("sip_blocked_caller") == [
        ("12125550147", "13105550123", False),
        ("12125550147", "1900", True),
    ]


def test_kamailio_reads_which_lines_refuse_anonymous_callers(alice: Subscriber):
    device = alice.devices[0]
    sip_account_provision(device_id=device.pk, serial=device.serial, phone_number="+12125550147")
    assert rows("sip_anonymous_refused") == []

    anonymous_callers_refuse(device_id=device.pk, owner=alice.user, refuse=True)
    assert rows("sip_anonymous_refused") == [("12125550147",)]

    anonymous_callers_refuse(device_id=device.pk, owner=alice.user, refuse=False)
    assert rows("sip_anonymous_refused") == []


def test_the_next_owner_does_not_inherit_the_blocked_callers(alice: Subscriber):
    device = alice.devices[0]
    blocked_caller_add(device_id=device.pk, owner=alice.user, text="3105550123")
    anonymous_callers_refuse(device_id=device.pk, owner=alice.user, refuse=True)

    device_release(device=device, keep_number=True)

    assert not BlockedCaller.objects.filter(device=device).exists()
    assert rows("sip_anonymous_refused") == []
