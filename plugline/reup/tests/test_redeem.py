"""Redeeming a Re-Up card in the portal: the PIN, the device, the period added once, the receipt."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import formats, timezone, translation

from conftest import Subscriber
from plugline.billing.models import PeriodSource, Subscription, SubscriptionPeriod
from plugline.billing.periods import add_months
from plugline.billing.tests.factories import make_plan, subscription_make
from plugline.core.models import AuditAction, AuditEvent
from plugline.notifications.models import OutboxMessage
from plugline.reup import pins
from plugline.reup.models import ReupCardStatus
from plugline.reup.redemption import RedeemFailure, card_redeem
from plugline.reup.services import api_key_create, batch_export
from plugline.reup.tests.factories import (
    make_activated_card,
    make_batch,
    make_card_with_pin,
    make_chain,
)
from plugline.reup.views import refused_message

pytestmark = pytest.mark.django_db

URL = "/account/reup/"
REFUSED = "This PIN can&#x27;t be used. Check the 16 digits on the back of your card"


def dashed(pin: str) -> str:
    """The PIN as someone might type it: groups of four with dashes and spaces."""
    return f" {pin[:4]}-{pin[4:8]} {pin[8:12]} - {pin[12:]} "


def signed_in(client: Client, subscriber: Subscriber) -> Client:
    client.force_login(subscriber.user)
    return client


def checked_device(page: str) -> str | None:
    found = re.search(r'<input type="radio" name="device" value="([^"]+)"[^>]*\bchecked', page)
    return found[1] if found else None


def post(client: Client, pin: str, serial: str) -> Any:
    return client.post(URL, {"pin": pin, "device": serial}, REMOTE_ADDR="198.51.100.7")


def test_it_adds_one_period_of_the_plan_to_the_chosen_device_and_emails_a_receipt(
    client: Client, bob: Subscriber
) -> None:
    first, second = bob.devices
    subscription_make(first, days_left=40)
    ends_at = subscription_make(second, days_left=20).ends_at
    assert ends_at is not None
    card, pin = make_activated_card(plan=make_plan("3-months", months=3))
    signed_in(client, bob)

    response = post(client, dashed(pin), second.serial)

    assert response.status_code == 302
    assert response["Location"] == f"{URL}{card.serial}/"
    second_subscription = Subscription.objects.get(device=second)
    assert second_subscription.ends_at == add_months(ends_at, 3)
    period = SubscriptionPeriod.objects.get(subscription__device=second)
    assert period.source == PeriodSource.REUP and period.plan == card.batch.plan
    assert not SubscriptionPeriod.objects.filter(subscription__device=first).exists()
    card.refresh_from_db()
    assert card.status == ReupCardStatus.REDEEMED
    assert card.redeemed_by == bob.user and card.period == period
    # The receipt, in Bob's language (French), waits in the outbox.
    receipt = OutboxMessage.objects.get(template="reup/email/redeemed")
    assert receipt.to_email == bob.email and receipt.language == "fr"
    assert card.serial in receipt.body_text and second.serial in receipt.body_text
    with translation.override("fr"):
        french_date = formats.date_format(add_months(ends_at, 3), "DATE_FORMAT")
    assert french_date in receipt.body_text  # "19 mars 2027": Bob's time zone is UTC
    # The page that follows shows the device and its new end of service.
    page = client.get(response["Location"]).content.decode()
    assert second.serial in page and card.serial in page
    # Audited without the PIN.
    event = AuditEvent.objects.get(action=AuditAction.REUP_CARD_REDEEMED)
    assert event.data["card"] == card.serial and event.data["serial"] == second.serial
    assert pin not in str(event.data)


def test_it_redeems_a_card_that_the_till_activated_through_the_pos_api(
    client: Client, alice: Subscriber
) -> None:
    batch = make_batch(chain=make_chain("kwik"), plan=make_plan("1-year", months=12), count=1)
    ((serial, pin),) = batch_export(batch=batch).rows
    _, key = api_key_create(chain=batch.chain, name="Till 1")
    device = alice.devices[0]
    signed_in(client, alice)

    before = post(client, pin, device.serial)
    sold = client.post(
        f"/api/v1/retail/cards/{serial}/activate", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    after = post(client, pin, device.serial)

    assert REFUSED in before.content.decode()
    assert sold.status_code == 200
    assert after.status_code == 302
    subscription = Subscription.objects.get(device=device)
    assert subscription.periods.count() == 1
    assert subscription.ends_at is not None
    assert subscription.ends_at - timezone.now() > dt.timedelta(days=364)


@pytest.mark.parametrize(
    "state", ["printed", "voided", "redeemed", "unknown", "too short", "letters"]
)
def test_it_refuses_every_unusable_pin_with_the_same_message(
    client: Client, alice: Subscriber, bob: Subscriber, state: str
) -> None:
    device = alice.devices[0]
    if state in ("printed", "voided"):
        _, pin = make_card_with_pin(status=ReupCardStatus(state))
    elif state == "redeemed":
        _, pin = make_activated_card()
        assert card_redeem(user=bob.user, pin_raw=pin, device=bob.devices[0]).card is not None
    else:
        pin = {
            "unknown": pins.pin_generate(),
            "too short": "1234 5678 9012",
            "letters": "1234-5678-9012-345O",
        }[state]
    signed_in(client, alice)

    response = post(client, pin, device.serial)

    page = response.content.decode()
    assert response.status_code == 200
    assert REFUSED in page
    assert pin not in page and pins.pin_display(pin) not in page
    assert not SubscriptionPeriod.objects.filter(subscription__device=device).exists()
    assert AuditEvent.objects.filter(action=AuditAction.REUP_REDEEM_FAILED).count() == 1
    failed = AuditEvent.objects.get(action=AuditAction.REUP_REDEEM_FAILED)
    assert pin not in str(failed.data)


def test_it_refuses_the_second_redemption_of_a_card_as_it_refuses_a_wrong_pin(
    alice: Subscriber,
) -> None:
    card, pin = make_activated_card()
    device = alice.devices[0]

    first = card_redeem(user=alice.user, pin_raw=pin, device=device)
    second = card_redeem(user=alice.user, pin_raw=pin, device=device)
    wrong = card_redeem(user=alice.user, pin_raw=pins.pin_generate(), device=device)

    assert first.card == card and first.ends_at is not None
    assert second.failure == wrong.failure == RedeemFailure.REFUSED
    assert SubscriptionPeriod.objects.filter(subscription__device=device).count() == 1
    assert Subscription.objects.get(device=device).ends_at == first.ends_at
    assert OutboxMessage.objects.filter(template="reup/email/redeemed").count() == 1
    reasons = [
        event.data["reason"]
        for event in AuditEvent.objects.filter(action=AuditAction.REUP_REDEEM_FAILED).order_by("pk")
    ]
    assert reasons == ["redeemed", "unknown"]


def test_it_does_not_accept_another_accounts_device(
    client: Client, alice: Subscriber, bob: Subscriber
) -> None:
    card, pin = make_activated_card()
    signed_in(client, alice)

    response = post(client, pin, bob.devices[0].serial)
    direct = card_redeem(user=alice.user, pin_raw=pin, device=bob.devices[0])

    assert "Choose the device to add the time to." in response.content.decode()
    assert direct.failure == RedeemFailure.DEVICE
    card.refresh_from_db()
    assert card.status == ReupCardStatus.ACTIVATED
    assert not SubscriptionPeriod.objects.exists()


def test_it_keeps_the_device_chosen_and_empties_the_pin_after_a_refusal(
    client: Client, bob: Subscriber
) -> None:
    device = bob.devices[1]
    signed_in(client, bob)
    pin = pins.pin_generate()

    page = post(client, pin, device.serial).content.decode()

    assert checked_device(page) == device.serial
    assert 'name="pin"' in page and "value=" not in page.split('name="pin"')[1].split(">")[0]
    assert 'inputmode="numeric"' in page and 'autocomplete="off"' in page


def test_it_offers_only_the_accounts_devices_and_preselects_a_single_one(
    client: Client, alice: Subscriber, bob: Subscriber
) -> None:
    signed_in(client, alice)

    page = client.get(URL).content.decode()

    assert alice.devices[0].serial in page
    assert bob.devices[0].serial not in page
    assert checked_device(page) == alice.devices[0].serial
    assert 'href="/stores/?sells=reup_cards">Where to buy a Re-Up card</a>' in page
    # From the device page, the device is chosen already.
    assert (
        f"{URL}?device={alice.devices[0].serial}"
        in client.get(f"/devices/{alice.devices[0].serial}/").content.decode()
    )


def test_it_asks_to_sign_in_first(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_shows_a_redeemed_card_only_to_the_account_that_redeemed_it(
    client: Client, alice: Subscriber, bob: Subscriber
) -> None:
    card, pin = make_activated_card()
    card_redeem(user=alice.user, pin_raw=pin, device=alice.devices[0])
    signed_in(client, bob)

    response = client.get(f"{URL}{card.serial}/")

    assert response.status_code == 404


def test_it_says_the_refusal_in_the_subscribers_language(client: Client, bob: Subscriber) -> None:
    signed_in(client, bob)
    with translation.override("fr"):
        expected = refused_message()

    page = post(client, pins.pin_generate(), bob.devices[0].serial).content.decode()

    assert '<html lang="fr">' in page
    assert expected.replace("'", "&#x27;") in page


def test_it_writes_the_receipt_with_the_device_plan_and_end_date(alice: Subscriber) -> None:
    card, pin = make_activated_card(plan=make_plan("1-year", months=12))

    result = card_redeem(user=alice.user, pin_raw=pin, device=alice.devices[0])

    assert result.card == card
    message = OutboxMessage.objects.get(template="reup/email/redeemed")
    assert message.subject == "Your Re-Up card renewed (212) 555-0147"
    assert "12 months" in message.body_text
    assert "service until" in message.body_text


def test_a_card_made_under_the_previous_pin_key_redeems_while_that_key_is_a_fallback(
    settings, alice: Subscriber
) -> None:
    settings.REUP_PIN_KEY = "the key the cards were printed under"
    old_card, old_pin = make_activated_card()
    forgotten_card, forgotten_pin = make_activated_card()
    settings.REUP_PIN_KEY = "the new key"
    settings.REUP_PIN_KEY_FALLBACKS = ["the key the cards were printed under"]

    kept = card_redeem(user=alice.user, pin_raw=old_pin, device=alice.devices[0])
    settings.REUP_PIN_KEY_FALLBACKS = []
    lost = card_redeem(user=alice.user, pin_raw=forgotten_pin, device=alice.devices[0])

    assert kept.failure is None and kept.card == old_card
    assert lost.failure == RedeemFailure.REFUSED
    forgotten_card.refresh_from_db()
    assert forgotten_card.status == ReupCardStatus.ACTIVATED
