"""A wizard part-way through, for the tests of steps 2 to 7.

`wizard_at(client, step)` makes a device present in this browser's wizard
(as step 1 would) with the answers of every step before `step` given, so
that a test starts where it means to.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from plugline.accounts.models import User
from plugline.devices.models import (
    Activation,
    Device,
    DeviceStatus,
    PurchaseChannel,
    WebOrder,
)
from plugline.devices.services import device_model_default
from plugline.devices.wizard.state import PRESENCE_MINUTES, SESSION_KEY, STEPS
from plugline.notifications.models import OutboxMessage
from plugline.telephony.models import NumberStatus, PhoneNumber
from plugline.telephony.services import number_reserve

NEW_PASSWORD = "lantern orchard velvet"  # test persona only

NEW_YORK = {
    "street_address": "350 Fifth Avenue",
    "street_address_2": "",
    "city": "New York",
    "country_area": "NY",
    "postal_code": "10118",
    "country": "US",
}
TORONTO = {
    "street_address": "100 Queen St W",
    "street_address_2": "",
    "city": "Toronto",
    "country_area": "ON",
    "postal_code": "M5H 2N2",
    "country": "CA",
}


def make_device(
    serial: str = "PLW20000001",
    *,
    status: str = DeviceStatus.SOLD_IN_STORE,
    order_email: str = "",
) -> Device:
    order = None
    if order_email:
        order = WebOrder.objects.create(number=f"W-{serial}", email=order_email)
    return Device.objects.create(
        serial=serial, model=device_model_default(), status=status, web_order=order
    )


def make_numbers(
    area_code: str = "212", city: str = "New York", region: str = "NY", *, count: int = 3
) -> list[str]:
    """Free numbers in the inventory: +1 <area code> 555-01xx."""
    numbers = []
    for n in range(count):
        e164 = f"+1{area_code}55501{n + 10:02d}"
        PhoneNumber.objects.create(
            e164=e164,
            country="US" if region != "ON" else "CA",
            area_code=area_code,
            city=city,
            region=region,
        )
        numbers.append(e164)
    return numbers


def wizard_session(client: Client, activation: Activation) -> None:
    """This browser's wizard is `activation` (as activation_start leaves it)."""
    session = client.session
    session[SESSION_KEY] = str(activation.pk)
    session.save()


def wizard_at(
    client: Client,
    step: str,
    *,
    device: Device | None = None,
    user: User | None = None,
    number: str | None = None,
) -> Activation:
    """A wizard in this browser whose steps before `step` are done.

    A new account (Nina New, nina@example.com) unless `user` is given; the
    first free number of the inventory (one in New York is made if none).
    """
    device = device or make_device()
    activation = Activation.objects.create(
        device=device,
        user=user,
        present_until=timezone.now() + timedelta(minutes=PRESENCE_MINUTES),
    )
    wizard_session(client, activation)
    todo = STEPS[1 : STEPS.index(step)]
    if "purchase" in todo:
        if device.web_order is not None:
            activation.purchase_channel = PurchaseChannel.ONLINE
            activation.order_email_matched_at = timezone.now()
        else:
            activation.purchase_channel = PurchaseChannel.STORE
    if "account" in todo and user is None:
        activation.first_name, activation.last_name = "Nina", "New"
        activation.email = "nina@example.com"
        activation.password_hash = make_password(NEW_PASSWORD)
    if "addresses" in todo:
        activation.contact_address = dict(NEW_YORK)
        activation.e911_address = dict(NEW_YORK)
    if "number" in todo:
        if number is None:
            free = PhoneNumber.objects.filter(status=NumberStatus.AVAILABLE).first()
            number = free.e164 if free else make_numbers(count=1)[0]
        assert number_reserve(e164=number, holder=activation.holder)
        activation.phone_number = number
    if "terms" in todo:
        activation.terms_version = "2026-11"
        activation.terms_accepted_at = timezone.now()
    activation.save()
    return activation


def fresh(activation: Activation) -> Activation:
    return Activation.objects.get(pk=activation.pk)


def described_by(page: str, field_id: str) -> set[str]:
    """The ids that describe the input `field_id` (its error, its hint) on `page`."""
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', page)
    assert tag, f"no input {field_id}"
    ids = re.search(r'aria-describedby="([^"]*)"', tag.group(0))
    return set(ids.group(1).split()) if ids else set()


def last_code(to: str) -> str:
    """The activation code in the latest email to `to`, as the customer reads it."""
    message = OutboxMessage.objects.filter(to_email=to).order_by("-id").first()
    assert message is not None, f"no email to {to}"
    match = re.search(r"^(\d{4} \d{4})$", message.body_text, re.M)
    assert match, message.body_text
    return match.group(1)
