"""Device upgrades raced between separate processes on PostgreSQL.

- "Upgrade my device" sent twice at once (a double click) or from two tabs (two forms):
  one charge at the (sandbox) gateway, one order, one "ordered" email, one receipt.
- Two staff members cancelling the same order at once: one refund, one email.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Subscriber, make_subscriber
from plugline.accounts.models import User
from plugline.billing.models import Payment, PaymentStatus, Refund
from plugline.billing.payments import idempotency_key_new
from plugline.billing.tests.test_pay_race_postgres import run_payers, visa_on_file
from plugline.core.tests.racing import Worker, needs_postgres, worker_start
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge, SandboxRefund
from plugline.upgrades.forms import offer_choice
from plugline.upgrades.models import UpgradeOffer, UpgradeOrder, UpgradeOrderStatus
from plugline.upgrades.tests.factories import make_offer, pay_order

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


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
