"""Ordering a new device from the device's page: the offer, a shipping address checked like
the E911 address, one payment however often the form is sent, the receipt's line."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Subscriber
from plugline.billing.models import Payment, PaymentKind, PaymentStatus
from plugline.billing.receipts import invoice_lines
from plugline.billing.tests.factories import (
    CARD_DECLINED_WHEN_CHARGED,
    CARD_NEEDS_AUTHENTICATION,
    CARD_SUCCEEDS,
    card_on_file,
    sandbox_reset,
)
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway.models import SandboxCharge
from plugline.upgrades.models import UpgradeOffer, UpgradeOrder, UpgradeOrderStatus
from plugline.upgrades.tests.factories import make_offer, open_upgrade_page, upgrade_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(db: None) -> UpgradeOffer:
    sandbox_reset()
    return make_offer(price=2999)


def upgrade_url(subscriber: Subscriber) -> str:
    return f"/devices/{subscriber.devices[0].serial}/upgrade/"


def test_it_orders_and_pays_the_upgrade_from_the_device_page(
    alice: Subscriber, offer: UpgradeOffer, client: Client
):
    card_on_file(alice.user, CARD_SUCCEEDS)
    client.force_login(alice.user)
    device_page = client.get(f"/devices/{alice.devices[0].serial}/").content.decode()
    assert f'href="{upgrade_url(alice)}"' in device_page
    assert "Upgrade my device" in device_page
    page = open_upgrade_page(client, alice.devices[0])
    assert "Plugline USB 2 for $29.99 (usually $79.99)" in page

    done = client.post(upgrade_url(alice), upgrade_form(page), follow=True)

    assert "your Plugline USB 2 is ordered and paid" in done.content.decode()
    order = UpgradeOrder.objects.get()
    assert order.status == UpgradeOrderStatus.PAID
    assert (order.price, order.ship_city, order.ship_postal_code) == (2999, "Brooklyn", "11201")
    payment = Payment.objects.get()
    assert (payment.kind, payment.amount, payment.status) == (
        PaymentKind.DEVICE_UPGRADE,
        2999,
        PaymentStatus.SUCCEEDED,
    )
    [line] = invoice_lines(payment, "en")
    assert (line.plan, line.amount) == ("New device: Plugline USB 2 (upgrade)", "$29.99")
    receipt = OutboxMessage.objects.get(template="billing/email/receipt")
    assert "New device: Plugline USB 2 (upgrade)" in receipt.body_text
    paid = OutboxMessage.objects.get(template="upgrades/email/upgrade_paid")
    assert paid.subject == "Your new Plugline USB 2 is ordered"
    assert "1 Main St, Apt 4, Brooklyn, NY, 11201, US" in paid.body_text
    # The device's page now says where the order stands instead of offering it again.
    again = client.get(f"/devices/{alice.devices[0].serial}/").content.decode()
    assert "is paid and will ship soon" in again
    assert f'href="{upgrade_url(alice)}"' not in again


def test_it_charges_once_when_the_same_form_is_sent_twice(
    alice: Subscriber, offer: UpgradeOffer, client: Client
):
    card_on_file(alice.user, CARD_SUCCEEDS)
    client.force_login(alice.user)
    form = upgrade_form(open_upgrade_page(client, alice.devices[0]))
    first = client.post(upgrade_url(alice), form)
    second = client.post(upgrade_url(alice), form)
    assert first["Location"] == second["Location"] == f"/devices/{alice.devices[0].serial}/"
    assert SandboxCharge.objects.count() == 1
    assert UpgradeOrder.objects.count() == 1
    assert OutboxMessage.objects.filter(template="upgrades/email/upgrade_paid").count() == 1


def test_a_second_tab_cannot_order_another_upgrade(
    alice: Subscriber, offer: UpgradeOffer, client: Client
):
    card_on_file(alice.user, CARD_SUCCEEDS)
    client.force_login(alice.user)
    tab_one = upgrade_form(open_upgrade_page(client, alice.devices[0]))
    tab_two = upgrade_form(open_upgrade_page(client, alice.devices[0]))
    client.post(upgrade_url(alice), tab_one)
    refused = client.post(upgrade_url(alice), tab_two, follow=True).content.decode()
    assert "A new device is already on its way for this one" in refused
    assert SandboxCharge.objects.count() == 1
    assert Payment.objects.count() == 1


def test_it_refuses_a_shipping_address_that_is_not_one_and_charges_nothing(
    alice: Subscriber, offer: UpgradeOffer, client: Client
):
    card_on_file(alice.user, CARD_SUCCEEDS)
    client.force_login(alice.user)
    form = upgrade_form(open_upgrade_page(client, alice.devices[0]))
    form["ship-postal_code"] = "ABCDE"
    response = client.post(upgrade_url(alice), form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "ZIP code" in page
    # What was typed is still there.
    assert 'value="1 Main St"' in page
    assert not Payment.objects.exists()


def test_a_declined_card_orders_nothing(alice: Subscriber, offer: UpgradeOffer, client: Client):
    card_on_file(alice.user, CARD_DECLINED_WHEN_CHARGED)
    client.force_login(alice.user)
    form = upgrade_form(open_upgrade_page(client, alice.devices[0]))
    page = client.post(upgrade_url(alice), form, follow=True).content.decode()
    assert "Your card was declined. Nothing was charged and nothing was ordered." in page
    assert UpgradeOrder.objects.get().status == UpgradeOrderStatus.DECLINED
    assert not OutboxMessage.objects.filter(template="upgrades/email/upgrade_paid").exists()
    # A declined order does not hold up another try.
    assert "Pay and order the new device" in page


def test_a_payment_waiting_for_the_bank_is_found_again_not_paid_twice(
    alice: Subscriber, offer: UpgradeOffer, client: Client
):
    card_on_file(alice.user, CARD_NEEDS_AUTHENTICATION)
    client.force_login(alice.user)
    form = upgrade_form(open_upgrade_page(client, alice.devices[0]))
    client.post(upgrade_url(alice), form)
    order = UpgradeOrder.objects.get()
    assert order.status == UpgradeOrderStatus.PENDING
    # Another tab's form, later: sent to the payment that waits.
    back = client.get(upgrade_url(alice))
    assert back["Location"] == f"{upgrade_url(alice)}payments/{order.payment_id}/"
    page = client.get(back["Location"]).content.decode()
    assert "Your bank asked you to approve this payment" in page
    assert Payment.objects.count() == 1


def test_it_refuses_an_offer_whose_price_changed_since_the_page_showed_it(
    alice: Subscriber, offer: UpgradeOffer, client: Client
):
    card_on_file(alice.user, CARD_SUCCEEDS)
    client.force_login(alice.user)
    form = upgrade_form(open_upgrade_page(client, alice.devices[0]))
    UpgradeOffer.objects.filter(pk=offer.pk).update(price=3999)
    response = client.post(upgrade_url(alice), form)
    assert response.status_code == 400
    assert "This offer changed or ended meanwhile, and nothing was charged." in (
        response.content.decode()
    )
    assert not Payment.objects.exists()


def test_it_offers_no_upgrade_when_none_applies(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    page = client.get(f"/devices/{alice.devices[0].serial}/").content.decode()
    assert "Upgrade my device" not in page
    response = client.get(upgrade_url(alice), follow=True)
    assert "No upgrade offer applies to this device now" in response.content.decode()


def test_nobody_else_can_upgrade_a_device(
    alice: Subscriber, bob: Subscriber, offer: UpgradeOffer, client: Client
):
    client.force_login(bob.user)
    assert client.get(upgrade_url(alice)).status_code == 404


def test_the_upgrade_page_speaks_the_subscribers_language(
    bob: Subscriber, offer: UpgradeOffer, client: Client
):
    card_on_file(bob.user, CARD_SUCCEEDS)
    client.force_login(bob.user)
    page = open_upgrade_page(client, bob.devices[0])
    assert "Mettre à niveau mon appareil" in page
    assert "Adresse de livraison" in page


def test_the_accounts_data_export_lists_its_upgrade_orders_and_where_they_go(
    alice: Subscriber, bob: Subscriber, offer: UpgradeOffer
):
    from plugline.accounts.data_export import data_export_build
    from plugline.upgrades.tests.factories import pay_order

    pay_order(alice, offer, card_on_file(alice.user, CARD_SUCCEEDS))
    [order] = data_export_build(user=alice.user)["upgrade_orders"]
    assert order["device"] == alice.devices[0].serial
    assert order["status"] == "paid"
    assert order["shipping_address"]["city"] == "Brooklyn"
    assert data_export_build(user=bob.user)["upgrade_orders"] == []


def test_no_second_upgrade_is_ordered_while_the_first_is_being_refunded(
    alice: Subscriber, offer: UpgradeOffer
):
    from plugline.upgrades.orders import UpgradeRefused
    from plugline.upgrades.tests.factories import pay_order

    card = card_on_file(alice.user, CARD_SUCCEEDS)
    first = pay_order(alice, offer, card)
    UpgradeOrder.objects.filter(pk=first.pk).update(status=UpgradeOrderStatus.CANCELLING)
    with pytest.raises(UpgradeRefused) as refused:
        pay_order(alice, offer, card)
    assert refused.value.reason == "ordered"
    assert Payment.objects.count() == 1
