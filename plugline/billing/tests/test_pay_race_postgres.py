"""Paying on PostgreSQL with separate processes: a double-clicked "Pay", a retry after a
timeout, and a worker killed between the gateway's answer and our commit.

Each gives exactly one charge at the (sandbox) gateway and one extension.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from conftest import Subscriber, make_subscriber
from plugline.billing.checkout import cart_add
from plugline.billing.models import (
    CartItem,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Plan,
    Subscription,
    SubscriptionPeriod,
)
from plugline.billing.payments import KILL_AFTER_CHARGE_ENV, idempotency_key_new, payment_settle
from plugline.billing.services import card_add_from_session, customer_for_user
from plugline.billing.tests.factories import plan_make, subscription_make
from plugline.core.tests.racing import (
    Finished,
    Worker,
    needs_postgres,
    worker_start,
    workers_finish,
    workers_stopped_after,
    workers_wait,
)
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 4


def start_payer(
    name: str, sync_dir: Path, user_id: int, card_id: int, key: str, *, kill: bool = False
) -> Worker:
    return worker_start(
        "plugline.billing.tests.pay_worker",
        name,
        sync_dir,
        user_id,
        card_id,
        key,
        env={KILL_AFTER_CHARGE_ENV: "1"} if kill else {},
    )


def run_payers(sync_dir: Path, payers: list[Worker]) -> list[Finished]:
    with workers_stopped_after(payers):
        workers_wait([sync_dir / f"ready-{index}" for index in range(len(payers))], payers)
        (sync_dir / "go").touch()
        return workers_finish(payers)


def visa_on_file(subscriber: Subscriber) -> PaymentMethod:
    customer = customer_for_user(user=subscriber.user)
    session = psp.card_session_start(
        customer_id=customer.gateway_customer_id, return_url="/", verify=True
    )
    psp.card_session_complete(
        session_id=session.id,
        number="4242424242424242",
        expiry=psp.Expiry(month=12, year=2040),
        cvc="123",
    )
    card = card_add_from_session(user=subscriber.user, session_id=session.id)
    assert card is not None
    return card


def in_cart(subscriber: Subscriber) -> Subscription:
    """A year for the subscriber's device in the cart ($49.99)."""
    subscription = Subscription.objects.filter(device=subscriber.devices[0]).first()
    if subscription is None:
        subscription = subscription_make(subscriber.devices[0], days_left=20)
    plan = Plan.objects.filter(code="year").first() or plan_make()
    cart_add(user=subscriber.user, device=subscriber.devices[0], plan=plan)
    return subscription


def test_a_double_clicked_pay_charges_once_and_extends_once(tmp_path: Path) -> None:
    alice = make_subscriber()
    card = visa_on_file(alice)
    for round_number in range(ROUNDS):
        subscription = in_cart(alice)
        before = SubscriptionPeriod.objects.filter(subscription=subscription).count()
        key = idempotency_key_new()
        sync = tmp_path / str(round_number)
        sync.mkdir()
        results = run_payers(
            sync,
            [start_payer(str(n), sync, alice.user.pk, card.pk, key) for n in range(2)],
        )
        for returncode, _out, err in results:
            assert returncode == 0, err
        answers = [json.loads(out.splitlines()[-1]) for _code, out, _err in results]
        payment = Payment.objects.get(idempotency_key=key)
        assert payment.status == PaymentStatus.SUCCEEDED
        # Both clicks end on the same confirmation.
        assert {answer["location"] for answer in answers} == {f"/renew/payments/{payment.pk}/done/"}
        assert SandboxCharge.objects.filter(idempotency_key=key).count() == 1
        assert SubscriptionPeriod.objects.filter(subscription=subscription).count() == before + 1
        assert not CartItem.objects.exists()


def test_a_retry_after_a_timeout_charges_once_and_extends_once(tmp_path: Path) -> None:
    alice = make_subscriber()
    card = visa_on_file(alice)
    subscription = in_cart(alice)
    ends_at = Subscription.objects.get(pk=subscription.pk).ends_at
    key = idempotency_key_new()
    psp.config_set(timeout_rate=1.0)  # the gateway charges, its answer is lost
    (tmp_path / "1").mkdir()
    [(code, out, err)] = run_payers(
        tmp_path / "1", [start_payer("0", tmp_path / "1", alice.user.pk, card.pk, key)]
    )
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["pending"] is True
    assert Payment.objects.get(idempotency_key=key).status == PaymentStatus.UNKNOWN
    assert Subscription.objects.get(pk=subscription.pk).ends_at == ends_at
    psp.config_set(timeout_rate=0.0)
    (tmp_path / "2").mkdir()
    [(code, out, err)] = run_payers(
        tmp_path / "2", [start_payer("0", tmp_path / "2", alice.user.pk, card.pk, key)]
    )
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["location"].endswith("/done/")
    assert SandboxCharge.objects.filter(idempotency_key=key).count() == 1
    assert SubscriptionPeriod.objects.filter(subscription=subscription).count() == 1
    renewed = Subscription.objects.get(pk=subscription.pk).ends_at
    assert renewed is not None and ends_at is not None and renewed.year == ends_at.year + 1


def test_a_worker_killed_after_the_gateway_answered_is_settled_once(tmp_path: Path) -> None:
    alice = make_subscriber()
    card = visa_on_file(alice)
    subscription = in_cart(alice)
    key = idempotency_key_new()
    [(code, _out, _err)] = run_payers(
        tmp_path, [start_payer("0", tmp_path, alice.user.pk, card.pk, key, kill=True)]
    )
    assert code == -signal.SIGKILL
    payment = Payment.objects.get(idempotency_key=key)
    assert payment.status == PaymentStatus.PENDING  # charged, but never recorded
    assert SandboxCharge.objects.get(idempotency_key=key).status == "succeeded"
    assert not SubscriptionPeriod.objects.filter(subscription=subscription).exists()
    assert payment_settle(payment=payment).payment.status == PaymentStatus.SUCCEEDED
    assert payment_settle(payment=payment).payment.status == PaymentStatus.SUCCEEDED
    assert SandboxCharge.objects.filter(idempotency_key=key).count() == 1
    assert SubscriptionPeriod.objects.filter(subscription=subscription).count() == 1
