"""A device's "Change number" pages: choose like in activation, see the fee, pay once."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from django.test import Client

from conftest import Subscriber
from plugline.billing.models import NumberChange, Payment
from plugline.billing.tests.factories import (
    CARD_DECLINED_WHEN_CHARGED,
    CARD_NEEDS_AUTHENTICATION,
    CARD_SUCCEEDS,
    card_on_file,
    sandbox_reset,
)
from plugline.devices.models import Device, DeviceStatus
from plugline.telephony.models import NumberStatus, PhoneNumber

OLD = "+12125550147"
NEW = "+13125550199"


@pytest.fixture(autouse=True)
def _fee(settings) -> None:
    settings.NUMBER_CHANGE_FEE = 1500


@pytest.fixture
def inventory(db: None) -> None:
    """Numbers to choose from, and the sandbox gateway answering at once."""
    sandbox_reset()
    PhoneNumber.objects.create(
        e164=OLD, country="US", area_code="212", city="New York", status=NumberStatus.ASSIGNED
    )
    PhoneNumber.objects.create(e164=NEW, country="US", area_code="312", city="Chicago")
    PhoneNumber.objects.create(e164="+13125550100", country="US", area_code="312", city="Chicago")


def number_page(device: Device) -> str:
    return f"/devices/{device.serial}/number/"


def confirm_page(device: Device) -> str:
    return f"/devices/{device.serial}/number/confirm/"


def form_fields(page: str) -> dict[str, str]:
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    total = re.search(r'name="total" value="([^"]+)"', page)
    card = re.search(r'name="card" value="([^"]+)"[^>]*checked', page)
    assert key and total and card, page
    return {"idempotency_key": key[1], "total": total[1], "card": card[1]}


def test_it_changes_the_number_from_the_device_page(
    alice: Subscriber, inventory: None, client: Client
) -> None:
    card_on_file(alice.user, CARD_SUCCEEDS)
    device = alice.devices[0]
    client.force_login(alice.user)

    device_page = client.get(f"/devices/{device.serial}/").content.decode()
    assert f'href="{number_page(device)}"' in device_page
    search = client.get(number_page(device), {"area_code": "312"}).content.decode()
    assert "(312) 555-0199" in search
    assert "$15.00" in search
    chosen = client.post(number_page(device) + "?area_code=312", {"number": NEW})
    assert chosen.status_code == 302
    assert chosen["Location"] == confirm_page(device)
    confirm = client.get(confirm_page(device)).content.decode()
    assert "(312) 555-0199" in confirm
    assert "Pay $15.00 and change the number" in confirm

    paid = client.post(confirm_page(device), form_fields(confirm), follow=True)

    assert "Done: your device now answers on (312) 555-0199" in paid.content.decode()
    assert Device.objects.get(pk=device.pk).phone_number == NEW


def test_a_second_click_on_pay_charges_once(
    alice: Subscriber, inventory: None, client: Client
) -> None:
    card_on_file(alice.user, CARD_SUCCEEDS)
    device = alice.devices[0]
    client.force_login(alice.user)
    client.post(number_page(device), {"number": NEW})
    fields = form_fields(client.get(confirm_page(device)).content.decode())

    client.post(confirm_page(device), fields)
    again = client.post(confirm_page(device), fields, follow=True)

    assert again.status_code == 200
    assert Payment.objects.count() == 1
    assert NumberChange.objects.count() == 1
    assert Device.objects.get(pk=device.pk).phone_number == NEW


def test_a_declined_card_says_so_and_keeps_the_number_chosen(
    alice: Subscriber, inventory: None, client: Client
) -> None:
    card_on_file(alice.user, CARD_DECLINED_WHEN_CHARGED)
    device = alice.devices[0]
    client.force_login(alice.user)
    client.post(number_page(device), {"number": NEW})
    fields = form_fields(client.get(confirm_page(device)).content.decode())

    declined = client.post(confirm_page(device), fields, follow=True)

    page = declined.content.decode()
    assert "Your card was declined. Nothing was charged" in page
    assert "(312) 555-0199" in page  # still the chosen number, ready to pay again
    assert declined.redirect_chain[-1][0] == confirm_page(device)
    assert Device.objects.get(pk=device.pk).phone_number == OLD


def test_another_accounts_device_is_not_found(
    alice: Subscriber, bob: Subscriber, inventory: None, client: Client
) -> None:
    client.force_login(bob.user)
    device = alice.devices[0]
    assert client.get(number_page(device)).status_code == 404
    assert client.post(number_page(device), {"number": NEW}).status_code == 404
    assert client.get(confirm_page(device)).status_code == 404
    assert client.post(confirm_page(device), {}).status_code == 404
    assert PhoneNumber.objects.get(e164=NEW).status == NumberStatus.AVAILABLE


def test_a_device_that_is_not_active_offers_no_change(
    alice: Subscriber, inventory: None, client: Client
) -> None:
    device = alice.devices[0]
    Device.objects.filter(pk=device.pk).update(status=DeviceStatus.RELEASED)
    client.force_login(alice.user)

    assert f'href="{number_page(device)}"' not in (
        client.get(f"/devices/{device.serial}/").content.decode()
    )
    refused = client.get(number_page(device), follow=True).content.decode()
    assert "only an active device with a number can change it" in refused


def test_bad_input_gets_a_clear_message_in_the_subscribers_language(
    bob: Subscriber, inventory: None, client: Client
) -> None:
    device = bob.devices[0]
    client.force_login(bob.user)

    page = client.post(number_page(device), {"number": "not a number"}).content.decode()

    assert "Choisissez un numéro dans la liste." in page
    assert PhoneNumber.objects.filter(status=NumberStatus.RESERVED).count() == 0


def test_a_number_taken_meanwhile_asks_for_another(
    alice: Subscriber, inventory: None, client: Client
) -> None:
    PhoneNumber.objects.filter(e164=NEW).update(status=NumberStatus.ASSIGNED)
    client.force_login(alice.user)

    page = client.post(number_page(alice.devices[0]), {"number": NEW}).content.decode()

    assert "That number was just taken. Please choose another." in page


def test_a_payment_the_bank_must_approve_waits_then_changes_the_number_once_approved(
    alice: Subscriber, inventory: None, client: Client
) -> None:
    card_on_file(alice.user, CARD_NEEDS_AUTHENTICATION)
    device = alice.devices[0]
    client.force_login(alice.user)
    client.post(number_page(device), {"number": NEW})
    fields = form_fields(client.get(confirm_page(device)).content.decode())

    to_bank = client.post(confirm_page(device), fields)

    assert to_bank.status_code == 302
    bank_url, _, query = to_bank["Location"].partition("?")
    assert bank_url.startswith("/sandbox-gateway/authenticate/")
    back = parse_qs(query)["return_url"][0]
    # Meanwhile: the device's page and "Change number" say the change waits for its payment.
    device_page = client.get(f"/devices/{device.serial}/").content.decode()
    assert "A change of number is waiting for its payment" in device_page
    waiting = client.get(number_page(device), follow=True).content.decode()
    assert "Your bank asked you to approve this payment" in waiting
    assert Device.objects.get(pk=device.pk).phone_number == OLD

    assert Client().post(bank_url, {"answer": "approve"}).status_code == 200
    done = client.get(back, follow=True)

    assert "Done: your device now answers on (312) 555-0199" in done.content.decode()
    assert Device.objects.get(pk=device.pk).phone_number == NEW
