"""Staff advance an upgrade order: shipped with its tracking number and serial, delivered,
or cancelled with one refund; each change is emailed to the customer in their language."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Subscriber
from plugline.billing.models import Payment, PaymentStatus, Refund
from plugline.billing.tests.factories import CARD_SUCCEEDS, card_on_file, sandbox_reset
from plugline.devices.models import Device, DeviceStatus
from plugline.notifications.models import OutboxMessage
from plugline.upgrades.models import UpgradeOrder, UpgradeOrderStatus
from plugline.upgrades.orders import (
    UpgradeRefused,
    upgrade_order_cancel,
    upgrade_order_deliver,
    upgrade_order_ship,
)
from plugline.upgrades.tests.factories import NEW_SERIAL, make_offer, make_stock_device, pay_order

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/upgrades/upgradeorder/"


@pytest.fixture
def paid(alice: Subscriber) -> UpgradeOrder:
    sandbox_reset()
    make_stock_device()
    return pay_order(alice, make_offer(), card_on_file(alice.user, CARD_SUCCEEDS))


def emails(template: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template=f"upgrades/email/{template}"))


def test_staff_ship_an_order_with_its_tracking_number_and_serial(
    paid: UpgradeOrder, staff_client: Client
):
    page = staff_client.post(
        CHANGELIST, {"action": "ship", "_selected_action": [paid.pk]}
    ).content.decode()
    assert "Tracking number" in page
    staff_client.post(
        CHANGELIST,
        {
            "action": "ship",
            "_selected_action": [paid.pk],
            "apply": "1",
            "tracking_number": "1Z 999 AA1 0123 4567 84",
            "new_serial": NEW_SERIAL.lower(),
        },
    )
    paid.refresh_from_db()
    assert paid.status == UpgradeOrderStatus.SHIPPED
    assert (paid.tracking_number, paid.new_serial) == ("1Z 999 AA1 0123 4567 84", NEW_SERIAL)
    # The device sent is registered to the customer's email, for the activation wizard.
    sent = Device.objects.select_related("web_order").get(serial=NEW_SERIAL)
    assert sent.status == DeviceStatus.SOLD_ONLINE
    assert sent.web_order is not None and sent.web_order.email == "alice@example.com"
    [email] = emails("upgrade_shipped")
    assert email.subject == "Your new Plugline USB 2 is on its way"
    assert "1Z 999 AA1 0123 4567 84" in email.body_text


def test_staff_cannot_ship_a_device_that_is_not_in_stock(
    paid: UpgradeOrder, staff, alice: Subscriber
):
    with pytest.raises(UpgradeRefused) as refused:
        upgrade_order_ship(
            order=paid, tracking_number="T1", new_serial=alice.devices[0].serial, staff=staff
        )
    assert refused.value.reason == "serial_unknown"
    paid.refresh_from_db()
    assert paid.status == UpgradeOrderStatus.PAID
    assert not emails("upgrade_shipped")


def test_shipping_twice_ships_once(paid: UpgradeOrder, staff):
    upgrade_order_ship(order=paid, tracking_number="T1", new_serial=NEW_SERIAL, staff=staff)
    with pytest.raises(UpgradeRefused):
        upgrade_order_ship(order=paid, tracking_number="T2", new_serial=NEW_SERIAL, staff=staff)
    paid.refresh_from_db()
    assert paid.tracking_number == "T1"
    assert len(emails("upgrade_shipped")) == 1


def test_staff_mark_a_shipped_order_delivered_once(paid: UpgradeOrder, staff, staff_client):
    upgrade_order_ship(order=paid, tracking_number="T1", new_serial=NEW_SERIAL, staff=staff)
    staff_client.post(CHANGELIST, {"action": "deliver", "_selected_action": [paid.pk]})
    assert not upgrade_order_deliver(order=paid, staff=staff)
    paid.refresh_from_db()
    assert paid.status == UpgradeOrderStatus.DELIVERED
    [email] = emails("upgrade_delivered")
    assert "Activate it now" in email.body_text


def test_staff_cancel_an_order_and_it_is_refunded_once(
    paid: UpgradeOrder, staff, staff_client: Client
):
    staff_client.post(
        CHANGELIST,
        {
            "action": "cancel",
            "_selected_action": [paid.pk],
            "apply": "1",
            "reason": "Out of stock",
        },
    )
    paid.refresh_from_db()
    assert paid.status == UpgradeOrderStatus.CANCELLED
    assert not upgrade_order_cancel(order=paid, reason="again", staff=staff)
    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (2999, "succeeded")
    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    [email] = emails("upgrade_cancelled")
    assert "We refunded $29.99" in email.body_text


def test_the_emails_speak_the_customers_language(bob: Subscriber, staff):
    sandbox_reset()
    make_stock_device()
    order = pay_order(bob, make_offer(), card_on_file(bob.user, CARD_SUCCEEDS))
    upgrade_order_ship(order=order, tracking_number="T1", new_serial=NEW_SERIAL, staff=staff)
    upgrade_order_cancel(order=order, reason="Lost in transit", staff=staff)
    subjects = {message.template: message.subject for message in OutboxMessage.objects.all()}
    assert subjects["upgrades/email/upgrade_paid"] == "Votre nouveau Plugline USB 2 est commandé"
    assert subjects["upgrades/email/upgrade_shipped"] == "Votre nouveau Plugline USB 2 est en route"
    assert subjects["upgrades/email/upgrade_cancelled"].endswith(
        "un nouveau Plugline USB 2 est annulée"
    )


def test_a_cancellation_the_gateway_refuses_leaves_the_order_as_it_was(
    paid: UpgradeOrder, staff, monkeypatch
):
    from plugline.billing.payments import PaymentRefused

    def refuse(**kwargs):
        raise PaymentRefused("gateway")

    monkeypatch.setattr("plugline.upgrades.orders.payment_refund", refuse)
    with pytest.raises(PaymentRefused):
        upgrade_order_cancel(order=paid, reason="x", staff=staff)
    paid.refresh_from_db()
    assert paid.status == UpgradeOrderStatus.PAID
    assert not emails("upgrade_cancelled")
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED


def test_staff_cannot_ship_a_device_of_another_model_than_the_one_ordered(
    paid: UpgradeOrder, staff
):
    from plugline.devices.services import device_model_default

    Device.objects.create(
        serial="PLOLD0000009", model=device_model_default(), status=DeviceStatus.IN_STOCK
    )
    with pytest.raises(UpgradeRefused) as refused:
        upgrade_order_ship(order=paid, tracking_number="T1", new_serial="PLOLD0000009", staff=staff)
    assert refused.value.reason == "serial_unknown"
    assert Device.objects.get(serial="PLOLD0000009").status == DeviceStatus.IN_STOCK


@pytest.mark.parametrize(
    ("language", "status", "english"), [("fr", "(payée)", "(paid)"), ("da", "(betalt)", "(paid)")]
)
def test_the_staff_pages_name_an_order_with_its_status_in_the_staff_members_language(
    paid: UpgradeOrder, staff, staff_client: Client, language: str, status: str, english: str
):
    staff.language = language
    staff.save(update_fields=["language"])

    change = staff_client.get(f"{CHANGELIST}{paid.pk}/change/").content.decode()
    ship = staff_client.post(
        CHANGELIST, {"action": "ship", "_selected_action": [paid.pk]}
    ).content.decode()

    for page in (change, ship):
        assert f"{paid.device.serial} → Plugline USB 2 {status}" in page
        assert english not in page


def test_a_payment_refunded_in_full_from_the_refund_page_cancels_its_order_once(
    paid: UpgradeOrder, staff, staff_client: Client
):
    """Money back means no device sent: the order cannot ship or be refunded again."""
    refund_page = f"/admin/billing/payment/{paid.payment_id}/refund/"

    staff_client.post(refund_page, {"amount": "29.99", "reason": "Changed their mind"})

    paid.refresh_from_db()
    assert paid.status == UpgradeOrderStatus.CANCELLED
    assert paid.cancelled_at is not None
    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    [email] = emails("upgrade_cancelled")
    assert "We refunded $29.99" in email.body_text
    with pytest.raises(UpgradeRefused):
        upgrade_order_ship(order=paid, tracking_number="T1", new_serial=NEW_SERIAL, staff=staff)
    assert not upgrade_order_cancel(order=paid, reason="again", staff=staff)
    assert Refund.objects.count() == 1


def test_a_partial_refund_from_the_refund_page_leaves_the_order_to_ship(
    paid: UpgradeOrder, staff_client: Client
):
    refund_page = f"/admin/billing/payment/{paid.payment_id}/refund/"

    staff_client.post(refund_page, {"amount": "5.00", "reason": "Goodwill"})

    paid.refresh_from_db()
    assert paid.status == UpgradeOrderStatus.PAID
    assert not emails("upgrade_cancelled")


@pytest.mark.parametrize(
    ("language", "payment"),
    [("fr", "29,99\xa0$\xa0US (réussi)"), ("da", "29,99\xa0USD (gennemført)")],
)
def test_the_staff_page_of_an_order_gives_its_payment_as_money_in_the_staff_members_language(
    paid: UpgradeOrder, staff, staff_client: Client, language: str, payment: str
):
    staff.language = language
    staff.save(update_fields=["language"])

    change = staff_client.get(f"{CHANGELIST}{paid.pk}/change/").content.decode()

    assert payment in change
    assert "(succeeded)" not in change


def test_a_device_sent_on_a_cancelled_order_goes_back_in_stock_and_can_be_sent_to_another(
    paid: UpgradeOrder, bob: Subscriber, staff
):
    """Returned after a cancellation, the device is stock again, not the first customer's."""
    upgrade_order_ship(order=paid, tracking_number="T1", new_serial=NEW_SERIAL, staff=staff)
    upgrade_order_cancel(order=paid, reason="Returned unopened", staff=staff)
    returned = Device.objects.get(serial=NEW_SERIAL)
    assert (returned.status, returned.web_order_id) == (DeviceStatus.IN_STOCK, None)

    other = pay_order(bob, paid.offer, card_on_file(bob.user, CARD_SUCCEEDS))
    upgrade_order_ship(order=other, tracking_number="T2", new_serial=NEW_SERIAL, staff=staff)

    sent = Device.objects.select_related("web_order").get(serial=NEW_SERIAL)
    assert sent.status == DeviceStatus.SOLD_ONLINE
    assert sent.web_order is not None and sent.web_order.email == bob.user.email
    other.refresh_from_db()
    assert (other.status, other.new_serial) == (UpgradeOrderStatus.SHIPPED, NEW_SERIAL)
