"""The devices app's part in "Download my data" and "Close my account"."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.test import Client, RequestFactory

from conftest import Subscriber
from plugline.accounts.models import User
from plugline.accounts.services import account_close
from plugline.core.addresses import ADDRESS_FIELDS
from plugline.devices.models import Device
from plugline.devices.services import device_assign, device_suspend


def test_it_exports_a_devices_suspension_with_its_date_and_reason(
    alice: Subscriber, staff: User, client: Client
):
    device_suspend(device=alice.devices[0], reason="Chargeback 5521", actor=staff)
    client.force_login(alice.user)

    export = json.loads(client.post("/account/privacy/download/").content)

    [device] = export["devices"]
    assert device["suspended_at"] is not None
    assert device["suspension_reason"] == "Chargeback 5521"


def test_it_exports_the_accounts_devices_with_numbers_nicknames_and_e911_addresses(
    alice: Subscriber, bob: Subscriber, client: Client
):
    Device.objects.filter(pk=bob.devices[1].pk).update(
        nickname="Cottage",
        e911_street_address="1 Lake Road",
        e911_city="Huntsville",
        e911_country_area="ON",
        e911_postal_code="P1H 1A1",
        e911_country="CA",
        activated_at=datetime(2026, 3, 1, 15, 30, tzinfo=UTC),
    )
    client.force_login(bob.user)
    export = json.loads(client.post("/account/privacy/download/").content)
    no_address = dict.fromkeys(ADDRESS_FIELDS, "")
    assert export["devices"] == [
        {
            "serial": bob.devices[0].serial,
            "model": "Plugline USB",
            "status": "active",
            "phone_number": "+13105550100",
            "nickname": "",
            "e911_address": no_address,
            "activated_at": None,
            "suspended_at": None,
            "suspension_reason": "",
        },
        {
            "serial": bob.devices[1].serial,
            "model": "Plugline USB",
            "status": "active",
            "phone_number": "+14165550148",
            "nickname": "Cottage",
            "e911_address": {
                "street_address": "1 Lake Road",
                "street_address_2": "",
                "city": "Huntsville",
                "country_area": "ON",
                "postal_code": "P1H 1A1",
                "country": "CA",
            },
            "activated_at": "2026-03-01T15:30:00Z",
            "suspended_at": None,
            "suspension_reason": "",
        },
    ]
    assert alice.devices[0].serial not in json.dumps(export)


def test_it_releases_the_accounts_devices_when_the_account_closes(
    alice: Subscriber, bob: Subscriber, rf: RequestFactory
):
    Device.objects.filter(pk=bob.devices[0].pk).update(nickname="Kitchen")
    account_close(user=bob.user, request=rf.post("/"))

    released = Device.objects.filter(pk__in=[device.pk for device in bob.devices])
    assert list(released.values_list("owner", "phone_number", "nickname")) == [
        (None, None, ""),
        (None, None, ""),
    ]
    alice_device = Device.objects.get(pk=alice.devices[0].pk)
    assert (alice_device.owner, alice_device.phone_number) == (alice.user, "+12125550147")
    # A released device and its former number can go to another account.
    device = device_assign(
        serial=bob.devices[0].serial, owner=alice.user, phone_number="(310) 555-0100"
    )
    assert (device.owner, device.phone_number) == (alice.user, "+13105550100")
