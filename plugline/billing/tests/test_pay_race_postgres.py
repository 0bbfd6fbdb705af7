"""Paying on PostgreSQL with separate processes: a double-clicked "Pay", a retry after a
timeout, a worker killed between the gateway's answer and our commit; and one cart paid
from two tabs, or twenty pages, at once, or from another page after a timeout (each page
with its own key).

Each gives exactly one charge at the (sandbox) gateway, one extension and one receipt.
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
from plugline.notifications.models import OutboxMessage
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


# One payment per cart: each tab renders its own key, the cart is the intent.

TABS_ROUNDS = 3


def answers_of(results: list[Finished]) -> list[dict]:
    for returncode, _out, err in results:
        assert returncode == 0, err
    return [json.loads(finished.lines()[-1]) for finished in results]


def paid_once(subscriber: Subscriber, subscription: Subscription, periods_before: int) -> Payment:
    """The cart was paid by exactly one payment: one charge, one period more, one receipt more."""
    [payment] = Payment.objects.filter(user=subscriber.user, status=PaymentStatus.SUCCEEDED)[:1]
    assert SandboxCharge.objects.filter(idempotency_key=payment.idempotency_key).count() == 1
    assert SubscriptionPeriod.objects.filter(subscription=subscription).count() == (
        periods_before + 1
    )
    assert not CartItem.objects.filter(user=subscriber.user).exists()
    return payment


def race_keys(tmp_path: Path, subscriber: Subscriber, card: PaymentMethod, tabs: int) -> list[dict]:
    """`tabs` checkout pages, each with its own key, press Pay at the same moment."""
    tmp_path.mkdir()
    keys = [idempotency_key_new() for _ in range(tabs)]
    payers = [
        start_payer(str(n), tmp_path, subscriber.user.pk, card.pk, key)
        for n, key in enumerate(keys)
    ]
    return answers_of(run_payers(tmp_path, payers))


def assert_one_paid_the_rest_refused(answers: list[dict], payment: Payment) -> None:
    done = f"/renew/payments/{payment.pk}/done/"
    assert [answer["location"] for answer in answers].count(done) == 1, answers
    for answer in answers:
        if answer["location"] != done:
            # Refused while the cart was held, or found it paid and empty afterwards.
            assert answer["being_paid"] or answer["location"] == "/renew/cart/", answer


def test_two_tabs_paying_one_cart_at_once_are_charged_once(tmp_path: Path) -> None:
    alice = make_subscriber()
    card = visa_on_file(alice)
    psp.config_set(latency_ms=300)  # a slow gateway: the second tab's Pay comes mid-charge
    for round_number in range(TABS_ROUNDS):
        subscription = in_cart(alice)
        before = SubscriptionPeriod.objects.filter(subscription=subscription).count()
        charges_before = SandboxCharge.objects.count()
        receipts_before = OutboxMessage.objects.filter(template="billing/email/receipt").count()
        answers = race_keys(tmp_path / str(round_number), alice, card, tabs=2)
        assert SandboxCharge.objects.count() == charges_before + 1
        assert OutboxMessage.objects.filter(template="billing/email/receipt").count() == (
            receipts_before + 1
        )
        payment = Payment.objects.filter(status=PaymentStatus.SUCCEEDED).order_by("-created_at")[0]
        assert payment.idempotency_key in {
            charge.idempotency_key for charge in SandboxCharge.objects.all()
        }
        assert SubscriptionPeriod.objects.filter(subscription=subscription).count() == before + 1
        assert not CartItem.objects.exists()
        assert_one_paid_the_rest_refused(answers, payment)
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == TABS_ROUNDS


def test_twenty_pages_paying_one_cart_at_once_are_charged_once(tmp_path: Path) -> None:
    alice = make_subscriber()
    card = visa_on_file(alice)
    subscription = in_cart(alice)
    answers = race_keys(tmp_path / "pages", alice, card, tabs=20)
    payment = paid_once(alice, subscription, periods_before=0)
    assert SandboxCharge.objects.count() == 1
    assert Payment.objects.count() == 1  # the refused pages wrote nothing
    assert OutboxMessage.objects.filter(template="billing/email/receipt").count() == 1
    assert_one_paid_the_rest_refused(answers, payment)


def test_a_pay_from_another_page_after_a_timeout_is_refused_until_settled(
    tmp_path: Path,
) -> None:
    alice = make_subscriber()
    card = visa_on_file(alice)
    subscription = in_cart(alice)
    psp.config_set(timeout_rate=1.0)  # the gateway charges, its answer is lost
    [first] = race_keys(tmp_path / "first", alice, card, tabs=1)
    assert first["pending"] is True
    psp.config_set(timeout_rate=0.0)
    # Two more pages press Pay while the outcome is unknown: both refused.
    later = race_keys(tmp_path / "later", alice, card, tabs=2)
    assert all(answer["status"] == 409 and answer["being_paid"] for answer in later), later
    assert SandboxCharge.objects.count() == 1
    [payment] = Payment.objects.all()
    assert payment.status == PaymentStatus.UNKNOWN
    assert CartItem.objects.get().payment_id == payment.pk
    assert payment_settle(payment=payment).payment.status == PaymentStatus.SUCCEEDED
    paid_once(alice, subscription, periods_before=0)
    assert OutboxMessage.objects.filter(template="billing/email/receipt").count() == 1
