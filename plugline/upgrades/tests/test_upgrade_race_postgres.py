"""Device upgrades raced between separate processes on PostgreSQL.

- "Upgrade my device" sent twice at once (a double click) or from two tabs (two forms):
  one charge at the (sandbox) gateway, one order, one "ordered" email, one receipt.
- Two staff members cancelling the same order at once: one refund, one email.
- Two wizards activating the new device at once: its line taken over once.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import Subscriber, make_subscriber
from plugline.accounts.models import User
from plugline.billing.models import Payment, PaymentStatus, Refund
from plugline.billing.payments import idempotency_key_new
from plugline.billing.tests.test_pay_race_postgres import run_payers, visa_on_file
from plugline.core.models import AuditAction, AuditEvent
from plugline.core.tests.racing import Worker, needs_postgres, worker_start
from plugline.devices.models import Activation, Device, DeviceStatus
from plugline.devices.tests.wizard_factory import NEW_YORK, make_numbers
from plugline.devices.wizard.services import code_hash
from plugline.devices.wizard.state import PRESENCE_MINUTES
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge, SandboxRefund
from plugline.telephony.services import number_reserve
from plugline.upgrades.forms import offer_choice
from plugline.upgrades.models import UpgradeOffer, UpgradeOrder, UpgradeOrderStatus
from plugline.upgrades.orders import upgrade_order_ship
from plugline.upgrades.tests.factories import NEW_SERIAL, make_offer, make_stock_device, pay_order

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

CODE = "12345678"


def start(name: str, sync_dir: Path, *args: object) -> Worker:
    return worker_start("plugline.upgrades.tests.race_worker", name, sync_dir, *args)


@pytest.fixture
def alice_with_offer(db: None) -> tuple[Subscriber, int, UpgradeOffer]:
    """Alice with a card on file and an offer for her device; the card's id."""
    psp.config_set(latency_ms=300, timeout_rate=0.0, failure_rate=0.0)  # a second click mid-charge
    alice = make_subscriber()
    card = visa_on_file(alice)
    return alice, card.pk, make_offer()


def ordered_once() -> None:
    assert SandboxCharge.objects.count() == 1
    [payment] = Payment.objects.filter(status=PaymentStatus.SUCCEEDED)
    assert UpgradeOrder.objects.get().payment == payment
    assert UpgradeOrder.objects.get().status == UpgradeOrderStatus.PAID
    assert OutboxMessage.objects.filter(template="upgrades/email/upgrade_paid").count() == 1
    assert OutboxMessage.objects.filter(template="billing/email/receipt").count() == 1


def test_the_same_upgrade_form_sent_twice_at_once_charges_once(
    tmp_path: Path, alice_with_offer: tuple[Subscriber, int, UpgradeOffer]
):
    alice, card_id, offer = alice_with_offer
    key = idempotency_key_new()
    serial = alice.devices[0].serial
    results = run_payers(
        tmp_path,
        [
            start(str(n), tmp_path, "pay", alice.user.pk, serial, card_id, key, offer_choice(offer))
            for n in range(2)
        ],
    )
    for returncode, _out, err in results:
        assert returncode == 0, err
    answers = [json.loads(finished.lines()[-1]) for finished in results]
    # Both clicks end on the device's page, which says the device is ordered.
    assert {answer["location"] for answer in answers} == {f"/devices/{serial}/"}
    assert Payment.objects.get().idempotency_key == key
    ordered_once()


def test_two_upgrade_forms_for_one_device_at_once_charge_once(
    tmp_path: Path, alice_with_offer: tuple[Subscriber, int, UpgradeOffer]
):
    alice, card_id, offer = alice_with_offer
    serial = alice.devices[0].serial
    results = run_payers(
        tmp_path,
        [
            start(
                str(n),
                tmp_path,
                "pay",
                alice.user.pk,
                serial,
                card_id,
                idempotency_key_new(),
                offer_choice(offer),
            )
            for n in range(2)
        ],
    )
    for returncode, _out, err in results:
        assert returncode == 0, err
    assert Payment.objects.count() == 1  # the refused form wrote nothing
    ordered_once()


@pytest.fixture
def staff_member(db: None) -> User:
    staff = make_subscriber("staff@example.com", numbers=()).user
    staff.is_staff = staff.is_superuser = True
    staff.save()
    return staff


def test_two_staff_cancelling_one_order_at_once_refund_it_once(
    tmp_path: Path,
    alice_with_offer: tuple[Subscriber, int, UpgradeOffer],
    staff_member: User,
):
    psp.config_set(latency_ms=300, timeout_rate=0.0, failure_rate=0.0)
    alice, card_id, offer = alice_with_offer
    order = pay_order(alice, offer, alice.user.payment_methods.get(pk=card_id))
    results = run_payers(
        tmp_path,
        [start(str(n), tmp_path, "cancel", staff_member.pk, order.pk) for n in range(2)],
    )
    for returncode, _out, err in results:
        assert returncode == 0, err
    answers = sorted(json.loads(finished.lines()[-1])["cancelled"] for finished in results)
    assert answers == [False, True]
    assert SandboxRefund.objects.count() == 1
    assert Refund.objects.get().amount == offer.price
    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    assert UpgradeOrder.objects.get().status == UpgradeOrderStatus.CANCELLED
    assert OutboxMessage.objects.filter(template="upgrades/email/upgrade_cancelled").count() == 1


def wizard_at_code(user: User, device: Device, number: str) -> Activation:
    """A wizard of `user`'s for `device`, every step done, waiting for the code CODE."""
    now = timezone.now()
    activation = Activation.objects.create(
        device=device,
        user=user,
        present_until=now + timedelta(minutes=PRESENCE_MINUTES),
        purchase_channel="online",
        order_email_matched_at=now,
        contact_address=dict(NEW_YORK),
        e911_address=dict(NEW_YORK),
        terms_version="2026-11",
        terms_accepted_at=now,
    )
    assert number_reserve(e164=number, holder=activation.holder)
    activation.phone_number = number
    activation.code_hash = code_hash(activation=activation, code=CODE)
    activation.code_sent_at = now
    activation.code_expires_at = now + timedelta(minutes=30)
    activation.save()
    return activation


def test_two_activations_of_the_new_device_at_once_take_the_line_over_once(
    tmp_path: Path,
    alice_with_offer: tuple[Subscriber, int, UpgradeOffer],
    staff_member: User,
):
    psp.config_set(latency_ms=0, timeout_rate=0.0, failure_rate=0.0)
    alice, card_id, offer = alice_with_offer
    old = alice.devices[0]
    make_stock_device()
    order = pay_order(alice, offer, alice.user.payment_methods.get(pk=card_id))
    upgrade_order_ship(order=order, tracking_number="T1", new_serial=NEW_SERIAL, staff=staff_member)
    new = Device.objects.get(serial=NEW_SERIAL)
    numbers = make_numbers("312", count=2)
    wizards = [wizard_at_code(alice.user, new, number) for number in numbers]
    results = run_payers(
        tmp_path,
        [
            start(str(n), tmp_path, "activate", alice.user.pk, wizard.pk, CODE)
            for n, wizard in enumerate(wizards)
        ],
    )
    for returncode, _out, err in results:
        assert returncode == 0, err
    completed = Activation.objects.filter(status="completed")
    assert completed.count() == 1
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.phone_number == "+12125550147"
    assert (old.status, old.phone_number, old.owner_id) == (DeviceStatus.RETIRED, None, None)
    order.refresh_from_db()
    assert order.new_device == new and order.taken_over_at is not None
    retired = AuditEvent.objects.filter(action=AuditAction.DEVICE_RELEASED, identifier=old.serial)
    assert retired.count() == 1
