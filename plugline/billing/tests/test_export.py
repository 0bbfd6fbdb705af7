"""The billing part of "Download my data"."""

from __future__ import annotations

import json

from django.test import Client

from conftest import Subscriber
from plugline.billing.services import subscription_for_device
from plugline.billing.tests.factories import card_on_file, make_paid_item, make_plan, sandbox_reset
from plugline.devices.models import Device

DOWNLOAD = "/account/privacy/download/"


def test_it_exports_cards_payments_and_services_without_tokens(alice: Subscriber):
    sandbox_reset()
    card = card_on_file(alice.user)
    device = Device.objects.get(owner=alice.user)
    subscription = subscription_for_device(device=device)
    item = make_paid_item(user=alice.user, subscription=subscription, plan=make_plan())
    client = Client()
    client.force_login(alice.user)

    response = client.post(DOWNLOAD)
    export = json.loads(response.content)["billing"]

    assert [(c["brand"], c["last4"], c["default"]) for c in export["cards"]] == [
        (card.brand, "4242", True)
    ]
    [payment] = export["payments"]
    assert (payment["amount"], payment["currency"], payment["devices"]) == (
        item.amount,
        "USD",
        [device.serial],
    )
    assert [s["device"] for s in export["services"]] == [device.serial]
    text = response.content.decode()
    assert card.token not in text
    assert "4242424242424242" not in text and "4242 4242 4242 4242" not in text


def test_another_accounts_billing_is_not_in_the_export(alice: Subscriber, bob: Subscriber):
    sandbox_reset()
    card_on_file(bob.user)
    client = Client()
    client.force_login(alice.user)
    export = json.loads(client.post(DOWNLOAD).content)["billing"]
    assert export == {"cards": [], "payments": [], "services": []}
