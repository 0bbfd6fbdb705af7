"""A subscriber's device with its key, number and subscription, and its SIP settings as the
device fetches them through the signed device API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.utils import timezone

from plugline.accounts.models import User
from plugline.billing.models import Subscription
from plugline.devices.keys import presence_sign
from plugline.devices.models import DeviceStatus
from plugline.devices.services import device_assign
from plugline.devices.tests.presence_factory import BoxedDevice, make_boxed_device

API = "/api/v1/device"


@dataclass
class Line:
    boxed: BoxedDevice
    subscription: Subscription

    @property
    def serial(self) -> str:
        return self.boxed.serial


def make_line(
    user: User,
    *,
    serial: str = "PLS10000001",
    number: str = "+12125550147",
    days_left: int = 20,
) -> Line:
    """A device active on `user`'s account with `number`, paid for `days_left` more days."""
    boxed = make_boxed_device(serial, status=DeviceStatus.SOLD_IN_STORE)
    device_assign(serial=serial, owner=user, phone_number=number)
    boxed.device.refresh_from_db()
    subscription = Subscription.objects.create(
        device=boxed.device, ends_at=timezone.now() + timedelta(days=days_left)
    )
    return Line(boxed=boxed, subscription=subscription)


def signed(client: Client, boxed: BoxedDevice) -> dict[str, str]:
    challenge = client.post(
        f"{API}/challenge", {"serial": boxed.serial}, content_type="application/json"
    ).json()["challenge"]
    return {
        "serial": boxed.serial,
        "challenge": challenge,
        "signature": presence_sign(device_key=boxed.key, challenge=challenge),
    }


def fetch_sip_settings(client: Client, boxed: BoxedDevice):
    """POST /sip, signed by the device, as the device does it."""
    return client.post(f"{API}/sip", signed(client, boxed), content_type="application/json")


def subscribers_in_view() -> list[tuple[str, str, str, str, str]]:
    """What Kamailio would read: (username, domain, password, ha1, ha1b) of sip_subscriber."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT username, domain, password, ha1, ha1b FROM sip_subscriber ORDER BY username"
        )
        return [tuple(row) for row in cursor.fetchall()]


def usernames_in_view() -> list[str]:
    return [row[0] for row in subscribers_in_view()]
