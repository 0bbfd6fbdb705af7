"""The payment core on the sandbox gateway: each outcome, lost answers settled later,
settling twice, refunds.

Outcomes come from the sandbox's test cards and its configuration (a failure
rate of 1: calls never reach it; a timeout rate of 1: it acts, the answer is
lost); what was charged or refunded is read from the sandbox's own records.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.billing import payments
from plugline.billing.gateways.base import Outcome
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.billing.models import (
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Refund,
    Subscription,
    SubscriptionPeriod,
)
from plugline.billing.payments import (
    PaymentRefused,
    payment_charge,
    payment_create,
    payment_refund,
    payment_settle,
    payment_settle_from_webhook,
    payments_settle_unknown,
)
from plugline.billing.tests.factories import (
    CARD_DECLINED_WHEN_CHARGED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_NEEDS_AUTHENTICATION,
    card_on_file,
    plan_make,
    subscription_make,
)
from plugline.core.models import AuditAction, AuditEvent
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge, SandboxEvent, SandboxRefund


@pytest.fixture
def renewal(bob: Subscriber, gateway: SandboxGateway) -> dict:
    """Bob renews his first device for a year ($49.99) with his Visa 4242."""
    plan = plan_make()
    first = subscription_make(bob.devices[0], days_left=20)
    second = subscription_make(bob.devices[1], days_left=40)
    card = card_on_file(bob.user)
    return {"user": bob.user, "plan": plan, "first": first, "second": second, "card": card}


def _create(
    renewal: dict,
    key: str = "pay_test_1",
    items: list | None = None,
    card: PaymentMethod | None = None,
) -> Payment:
    return payment_create(
        user=renewal["user"],
        kind=PaymentKind.CHECKOUT,
        items=items or [(renewal["first"], renewal["plan"])],
        payment_method=card or renewal["card"],
        idempotency_key=key,
    )


def _charged_at_the_gateway(payment: Payment) -> SandboxCharge:
    """The sandbox's charge for a payment's key, as the worker that was killed made it."""
    method = payment.payment_method
    assert method is not None
    result = SandboxGateway().charge(
        customer_id=payments._customer_id(payment),
        token=method.token,
        amount=payment.amount,
        currency=payment.currency,
        idempotency_key=payment.idempotency_key,
        description="Plugline renewal",
    )
    assert result.outcome == Outcome.SUCCEEDED
    return SandboxCharge.objects.get(idempotency_key=payment.idempotency_key)


def _ends_at(subscription: Subscription):
    return Subscription.objects.get(pk=subscription.pk).ends_at


def test_it_writes_the_payment_with_its_amount_and_card_before_charging(
    renewal: dict, gateway: SandboxGateway
) -> None:
    payment = _create(
        renewal, items=[(renewal["first"], renewal["plan"]), (renewal["second"], renewal["plan"])]
    )
    assert (payment.status, payment.amount, payment.currency) == ("pending", 9998, "USD")
    assert (payment.card_brand, payment.card_last4) == ("Visa", "4242")
    assert payment.items.count() == 2
    assert not SandboxCharge.objects.exists()  # the gateway has heard of nothing


def test_it_returns_the_same_payment_for_the_same_key(
    renewal: dict, gateway: SandboxGateway
) -> None:
    assert _create(renewal).pk == _create(renewal).pk
    assert Payment.objects.count() == 1


def test_it_refuses_a_plan_without_a_price_in_the_billing_currency(
    renewal: dict, gateway: SandboxGateway, settings
) -> None:
    settings.BILLING_CURRENCY = "CAD"
    with pytest.raises(PaymentRefused) as refused:
        _create(renewal)
    assert refused.value.reason == "no_price"
    assert not Payment.objects.exists()


def test_it_refuses_someone_elses_card(renewal: dict, alice: Subscriber) -> None:
    with pytest.raises(PaymentRefused):
        payment_create(
            user=alice.user,
            kind=PaymentKind.CHECKOUT,
            items=[(renewal["first"], renewal["plan"])],
            payment_method=renewal["card"],
            idempotency_key="pay_x",
        )


def test_it_extends_the_device_by_a_year_when_the_charge_succeeds(
    renewal: dict, gateway: SandboxGateway
) -> None:
    before_first, before_second = _ends_at(renewal["first"]), _ends_at(renewal["second"])
    answer = payment_charge(payment=_create(renewal))
    payment = answer.payment
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.invoice_number == 1
    assert payment.gateway_charge_id
    charge = SandboxCharge.objects.get()
    assert (charge.id, charge.idempotency_key) == (payment.gateway_charge_id, "pay_test_1")
    assert (charge.status, charge.amount, charge.currency) == ("succeeded", 4999, "USD")
    after = _ends_at(renewal["first"])
    assert after.year == before_first.year + 1
    assert (after.month, after.day) == (before_first.month, before_first.day)
    assert _ends_at(renewal["second"]) == before_second
    assert AuditEvent.objects.filter(
        action=AuditAction.PAYMENT_SUCCEEDED, user=renewal["user"]
    ).exists()
    receipt = OutboxMessage.objects.get(template="billing/email/receipt")
    assert receipt.to_email == "bob@example.com"
    assert "4242" in receipt.body_text
    assert renewal["first"].device.serial in receipt.body_text


def test_it_numbers_invoices_in_order(renewal: dict, gateway: SandboxGateway) -> None:
    first = payment_charge(payment=_create(renewal, key="a")).payment
    second = payment_charge(payment=_create(renewal, key="b")).payment
    assert (first.invoice_number, second.invoice_number) == (1, 2)


def test_it_changes_nothing_when_the_card_is_declined(
    renewal: dict, gateway: SandboxGateway
) -> None:
    card = card_on_file(renewal["user"], CARD_DECLINED_WHEN_CHARGED)
    before = _ends_at(renewal["first"])
    payment = payment_charge(payment=_create(renewal, card=card)).payment
    assert (payment.status, payment.decline_code) == ("declined", "card_declined")
    assert SandboxCharge.objects.get().status == "declined"
    assert payment.invoice_number is None
    assert _ends_at(renewal["first"]) == before
    assert not SubscriptionPeriod.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.PAYMENT_FAILED).count() == 1
    assert not OutboxMessage.objects.filter(template="billing/email/receipt").exists()


def test_it_records_a_soft_decline_as_one_that_may_be_tried_again(
    renewal: dict, gateway: SandboxGateway
) -> None:
    card = card_on_file(renewal["user"], CARD_INSUFFICIENT_FUNDS)
    before = _ends_at(renewal["first"])
    payment = payment_charge(payment=_create(renewal, card=card)).payment
    assert (payment.status, payment.decline_code) == ("declined", "insufficient_funds")
    assert _ends_at(renewal["first"]) == before
    event = AuditEvent.objects.get(action=AuditAction.PAYMENT_FAILED)
    assert event.data["hard_decline"] is False
    assert SandboxCharge.objects.get().hard_decline is False


def test_it_sends_the_cardholder_to_authenticate_then_settles(
    renewal: dict, gateway: SandboxGateway
) -> None:
    card = card_on_file(renewal["user"], CARD_NEEDS_AUTHENTICATION)
    answer = payment_charge(payment=_create(renewal, card=card))
    assert answer.payment.status == PaymentStatus.REQUIRES_ACTION
    charge = SandboxCharge.objects.get()
    assert answer.action_url == f"/sandbox-gateway/authenticate/{charge.id}/"
    before = _ends_at(renewal["first"])
    assert payment_settle(payment=answer.payment).payment.status == PaymentStatus.REQUIRES_ACTION
    assert _ends_at(renewal["first"]) == before  # nothing until the cardholder approves
    # The cardholder approves on the bank's page; the return URL settles.
    page = Client().post(answer.action_url, {"answer": "approve"})
    assert page.status_code == 200
    settled = payment_settle(payment=answer.payment).payment
    assert settled.status == PaymentStatus.SUCCEEDED
    assert settled.gateway_charge_id == charge.id
    assert _ends_at(renewal["first"]).year == before.year + 1


def test_it_keeps_a_payment_unknown_when_the_answer_is_lost_and_settles_it_once(
    renewal: dict, gateway: SandboxGateway
) -> None:
    psp.config_set(timeout_rate=1.0)  # the sandbox charges; its answer never comes back
    before = _ends_at(renewal["first"])
    payment = payment_charge(payment=_create(renewal)).payment
    assert payment.status == PaymentStatus.UNKNOWN
    assert _ends_at(renewal["first"]) == before  # not extended on a guess
    assert SandboxCharge.objects.get().status == "succeeded"  # yet the card was charged
    psp.config_set(timeout_rate=0.0)
    assert payment_settle(payment=payment).payment.status == PaymentStatus.SUCCEEDED
    assert payment_settle(payment=payment).payment.status == PaymentStatus.SUCCEEDED
    charge = SandboxCharge.objects.get()  # exactly one charge at the gateway
    assert (charge.idempotency_key, charge.status) == (payment.idempotency_key, "succeeded")
    assert Payment.objects.get(pk=payment.pk).gateway_charge_id == charge.id
    assert SubscriptionPeriod.objects.filter(subscription=renewal["first"]).count() == 1
    assert _ends_at(renewal["first"]).year == before.year + 1
    assert OutboxMessage.objects.filter(template="billing/email/receipt").count() == 1


def test_it_charges_once_when_the_same_payment_is_charged_again(
    renewal: dict, gateway: SandboxGateway, charges_asked: list[str]
) -> None:
    payment = _create(renewal)
    payment_charge(payment=payment)
    again = payment_charge(payment=_create(renewal)).payment
    assert again.status == PaymentStatus.SUCCEEDED
    assert charges_asked == [payment.idempotency_key]  # a settled payment is not sent again
    assert SandboxCharge.objects.filter(idempotency_key=payment.idempotency_key).count() == 1
    assert SandboxCharge.objects.count() == 1
    assert SubscriptionPeriod.objects.count() == 1


def test_it_applies_a_success_recorded_twice_only_once(
    renewal: dict, gateway: SandboxGateway
) -> None:
    payment = _create(renewal)
    charge = _charged_at_the_gateway(payment)
    result = gateway.charge_lookup(idempotency_key=payment.idempotency_key)
    assert result is not None and result.charge_id == charge.id
    payments.payment_record(payment=payment, result=result)
    payments.payment_record(payment=payment, result=result)
    assert SubscriptionPeriod.objects.count() == 1
    assert Payment.objects.get(pk=payment.pk).invoice_number == 1


def test_the_periodic_job_settles_payments_left_pending_by_a_killed_worker(
    renewal: dict, gateway: SandboxGateway
) -> None:
    payment = _create(renewal)
    # The gateway charged, but the worker died before recording it.
    charge = _charged_at_the_gateway(payment)
    assert payments_settle_unknown() == 0  # too young: its request may still be running
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert payments_settle_unknown() == 1
        assert payments_settle_unknown() == 0
    settled = Payment.objects.get(pk=payment.pk)
    assert (settled.status, settled.gateway_charge_id) == (PaymentStatus.SUCCEEDED, charge.id)
    assert SandboxCharge.objects.count() == 1
    assert SubscriptionPeriod.objects.count() == 1


def test_the_periodic_job_closes_a_payment_that_never_reached_the_gateway(
    renewal: dict, gateway: SandboxGateway
) -> None:
    payment = _create(renewal)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        payments_settle_unknown()
    payment.refresh_from_db()
    assert (payment.status, payment.decline_code) == ("declined", "not_sent")
    assert not SubscriptionPeriod.objects.exists()
    assert not SandboxCharge.objects.exists()


def test_a_charge_that_never_reached_the_gateway_is_closed_as_not_sent(
    renewal: dict, gateway: SandboxGateway
) -> None:
    psp.config_set(failure_rate=1.0)  # no call reaches the sandbox
    payment = payment_charge(payment=_create(renewal)).payment
    assert payment.status == PaymentStatus.UNKNOWN
    psp.config_set(failure_rate=0.0)
    assert payment_settle(payment=payment).payment.status == PaymentStatus.UNKNOWN  # too young
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert payments_settle_unknown() == 1
    payment.refresh_from_db()
    assert (payment.status, payment.decline_code) == ("declined", "not_sent")
    assert not SandboxCharge.objects.exists()
    assert not SubscriptionPeriod.objects.exists()


def test_it_leaves_the_payment_open_while_the_gateway_cannot_be_asked(
    renewal: dict, gateway: SandboxGateway
) -> None:
    psp.config_set(failure_rate=1.0)
    payment = payment_charge(payment=_create(renewal)).payment
    assert payment.status == PaymentStatus.UNKNOWN
    assert payment_settle(payment=payment).payment.status == PaymentStatus.UNKNOWN
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        # Not closed as "never sent" while the gateway cannot say so.
        assert payment_settle(payment=payment).payment.status == PaymentStatus.UNKNOWN


def test_a_webhook_settles_its_payment_by_asking_the_gateway(
    renewal: dict, gateway: SandboxGateway
) -> None:
    payment = _create(renewal)
    _charged_at_the_gateway(payment)
    # The event the sandbox wrote for the charge (what it posts to the webhook).
    sent = SandboxEvent.objects.get(type="charge.succeeded")

    class Event:
        data = sent.data

    settled = payment_settle_from_webhook(Event())
    assert settled is not None and settled.status == PaymentStatus.SUCCEEDED
    assert payment_settle_from_webhook(Event()).status == PaymentStatus.SUCCEEDED  # type: ignore[union-attr]
    assert SubscriptionPeriod.objects.count() == 1


def test_a_webhook_for_an_unknown_payment_changes_nothing(
    gateway: SandboxGateway, db: None
) -> None:
    class Event:
        data = {"idempotency_key": "pay_nobody"}

    assert payment_settle_from_webhook(Event()) is None


@pytest.fixture
def paid(renewal: dict, gateway: SandboxGateway) -> Payment:
    return payment_charge(payment=_create(renewal)).payment


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "billing@example.com", "staff-password-1", is_staff=True
    )


def test_it_refunds_part_then_the_rest_never_more(paid: Payment, gateway, staff) -> None:
    payment_refund(payment=paid, amount=1000, reason="Moved abroad", staff=staff)
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_amount) == ("partially_refunded", 1000)
    with pytest.raises(PaymentRefused) as refused:
        payment_refund(payment=paid, amount=4000, reason="Too much", staff=staff)
    assert refused.value.reason == "too_much"
    payment_refund(payment=paid, amount=3999, reason="Moved abroad", staff=staff)
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_amount) == ("refunded", 4999)
    refunds = SandboxRefund.objects.filter(charge_id=paid.gateway_charge_id).order_by("created_at")
    assert [(refund.amount, refund.succeeded) for refund in refunds] == [
        (1000, True),
        (3999, True),
    ]
    assert len({refund.idempotency_key for refund in refunds}) == 2
    assert SandboxCharge.objects.get(id=paid.gateway_charge_id).refunded_amount == 4999
    event = AuditEvent.objects.filter(action=AuditAction.REFUND_ISSUED).first()
    assert event is not None and event.actor == staff
    assert event.data["reason"] == "Moved abroad"
    with pytest.raises(PaymentRefused):
        payment_refund(payment=paid, amount=1, reason="Again", staff=staff)


def test_it_refuses_to_refund_a_declined_payment(
    renewal: dict, gateway: SandboxGateway, staff
) -> None:
    card = card_on_file(renewal["user"], CARD_DECLINED_WHEN_CHARGED)
    declined = payment_charge(payment=_create(renewal, card=card)).payment
    assert declined.status == PaymentStatus.DECLINED
    with pytest.raises(PaymentRefused) as refused:
        payment_refund(payment=declined, amount=100, reason="x", staff=staff)
    assert refused.value.reason == "not_refundable"
    assert not SandboxRefund.objects.exists()


def test_a_refund_the_gateway_refuses_leaves_the_payment_as_it_was(
    paid: Payment, gateway: SandboxGateway, staff
) -> None:
    # A cent was refunded at the gateway directly (its dashboard), unknown to
    # Plugline: the gateway refuses to refund the whole payment.
    psp.refund_create(
        charge_id=paid.gateway_charge_id, amount=1, idempotency_key="dashboard-1", reason=""
    )
    with pytest.raises(PaymentRefused) as refused:
        payment_refund(payment=paid, amount=4999, reason="x", staff=staff)
    assert refused.value.reason == "gateway"
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_amount) == ("succeeded", 0)
    failed = Refund.objects.get()
    assert failed.status == "failed"
    assert not SandboxRefund.objects.get(idempotency_key=failed.idempotency_key).succeeded
    # The refused refund holds nothing back: what the gateway has left can be refunded.
    payment_refund(payment=paid, amount=4998, reason="x", staff=staff)
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_amount) == ("partially_refunded", 4998)
    assert SandboxCharge.objects.get(id=paid.gateway_charge_id).refunded_amount == 4999


def _misbehave(misbehaviour: str, rate: float) -> None:
    if misbehaviour == "failure_rate":
        psp.config_set(failure_rate=rate)
    else:
        psp.config_set(timeout_rate=rate)


@pytest.mark.parametrize(
    ("misbehaviour", "refunded_at_the_gateway"),
    [("failure_rate", 0), ("timeout_rate", 4000)],
    ids=["never-reached-the-gateway", "done-and-answer-lost"],
)
def test_a_refund_whose_answer_is_lost_keeps_its_amount_reserved(
    paid: Payment, gateway: SandboxGateway, staff, misbehaviour: str, refunded_at_the_gateway: int
) -> None:
    _misbehave(misbehaviour, 1.0)
    with pytest.raises(PaymentRefused) as lost:
        payment_refund(payment=paid, amount=4000, reason="x", staff=staff)
    assert lost.value.reason == "gateway"
    assert Refund.objects.get().status == "unknown"
    charge = SandboxCharge.objects.get(id=paid.gateway_charge_id)
    assert charge.refunded_amount == refunded_at_the_gateway
    _misbehave(misbehaviour, 0.0)
    with pytest.raises(PaymentRefused) as refused:
        payment_refund(payment=paid, amount=1000, reason="x", staff=staff)
    assert refused.value.reason == "too_much"
