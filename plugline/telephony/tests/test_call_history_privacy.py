"""The call history's part in "Download my data", device release and "Close my account"."""

from __future__ import annotations

import json
from datetime import timedelta

from django.test import Client, RequestFactory

from conftest import Subscriber
from plugline.accounts.services import account_close
from plugline.devices.models import Device
from plugline.devices.services import device_assign, device_release
from plugline.telephony.callrecords import device_call_history_page
from plugline.telephony.models import CallOutcome, CallRecord
from plugline.telephony.tests.call_factory import NOON, call


def test_it_exports_the_accounts_calls_each_with_its_device_and_direction(
    alice: Subscriber, bob: Subscriber, client: Client
):
    alices = alice.devices[0]
    call(1, caller_device=alices, caller="+12125550147", callee="+13125550199")
    call(
        2,
        callee_device=alices,
        caller="+13105550100",
        callee="+12125550147",
        caller_device=bob.devices[0],
        outcome=CallOutcome.BUSY,
    )
    call(3, caller_device=bob.devices[0], caller="+13105550100", callee="+18005550123")
    client.force_login(alice.user)

    export = json.loads(client.post("/account/privacy/download/").content)

    assert "calls" in export["export"]["sections"]
    assert [
        (row["device"], row["direction"], row["caller"], row["callee"], row["outcome"])
        for row in export["calls"]
    ] == [
        (alices.serial, "outgoing", "+12125550147", "+13125550199", "answered"),
        (alices.serial, "incoming", "+13105550100", "+12125550147", "busy"),
    ]
    assert export["calls"][0]["started_at"] == (NOON - timedelta(hours=1)).isoformat().replace(
        "+00:00", "Z"
    )
    assert export["calls"][0]["duration_seconds"] == 65


def history_of(device: Device) -> list[CallRecord]:
    _, calls = device_call_history_page(device_id=device.pk, page=1)
    return [item.record for item in calls]


def test_a_released_device_takes_none_of_its_calls_to_its_next_owner(
    alice: Subscriber, bob: Subscriber, rf: RequestFactory
):
    device = bob.devices[0]
    kept = call(1, caller_device=alice.devices[0], callee_device=device, caller="+12125550147")
    call(2, caller_device=device, caller="+13105550100")

    device_release(device=device, keep_number=False, request=rf.post("/"))
    device_assign(serial=device.serial, owner=alice.user, phone_number="(310) 555-0100")

    assert history_of(Device.objects.get(pk=device.pk)) == []
    # The other end of a call keeps it in its own history.
    assert history_of(alice.devices[0]) == [kept]


def test_closing_the_account_removes_its_calls_from_its_devices(
    alice: Subscriber, bob: Subscriber, rf: RequestFactory
):
    call(1, caller_device=bob.devices[0], caller="+13105550100")
    call(2, callee_device=bob.devices[1], callee="+14165550148")

    account_close(user=bob.user, request=rf.post("/"))

    assert [history_of(Device.objects.get(pk=d.pk)) for d in bob.devices] == [[], []]
    assert not CallRecord.objects.filter(caller_device__isnull=False).exists()
