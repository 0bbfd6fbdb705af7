"""The payment core: each outcome, lost answers settled later, settling twice, refunds."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conftest import Subscriber
from plugline.billing import payments
from plugline.billing.gateways.base import Outcome
from plugline.billing.models import (
    Payment,
    PaymentKind,
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
from plugline.billing.tests.payment_fakes import (
    FakeGateway,
    card_make,
    plan_make,
    subscription_make,
)
from plugline.core.models import AuditAction, AuditEvent
from plugline.notifications.models import OutboxMessage


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> FakeGateway:
    fake = FakeGateway()
    monkeypatch.setattr(payments, "gateway_get", lambda: fake)
    return fake


@pytest.fixture
def renewal(bob: Subscriber) -> dict:
    """Bob renews his first device for a year ($49.99) with his Visa 4242."""
    plan = plan_make()
    first = subscription_make(bob.devices[0], days_left=20)
    second = subscription_make(bob.devices[1], days_left=40)
    card = card_make(bob.user)
    return {"user": bob.user, "plan": plan, "first": first, "second": second, "card": card}


def _create(renewal: dict, key: str = "pay_test_1", items: list | None = None) -> Payment:
    return payment_create(
        user=renewal["user"],
        kind=PaymentKind.CHECKOUT,
        items=items or [(renewal["first"], renewal["plan"])],
        payment_method=renewal["card"],
        idempotency_key=key,
    )


def _ends_at(subscription: Subscription):
    return Subscription.objects.get(pk=subscription.pk).ends_at


def test_it_writes_the_payment_with_its_amount_and_card_before_charging(
    renewal: dict, gateway: FakeGateway
) -> None:
    payment = _create(
        renewal, items=[(renewal["first"], renewal["plan"]), (renewal["second"], renewal["plan"])]
    )
    assert (payment.status, payment.amount, payment.currency) == ("pending", 9998, "USD")
    assert (payment.card_brand, payment.card_last4) == ("Visa", "4242")
    assert payment.items.count() == 2
    assert gateway.charge_calls == 0


def test_it_returns_the_same_payment_for_the_same_key(renewal: dict, gateway: FakeGateway) -> None:
    assert _create(renewal).pk == _create(renewal).pk
    assert Payment.objects.count() == 1


def test_it_refuses_a_plan_without_a_price_in_the_billing_currency(
    renewal: dict, gateway: FakeGateway, settings
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
    renewal: dict, gateway: FakeGateway
) -> None:
    before_first, before_second = _ends_at(renewal["first"]), _ends_at(renewal["second"])
    answer = payment_charge(payment=_create(renewal))
    payment = answer.payment
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.invoice_number == 1
    assert payment.gateway_charge_id
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


def test_it_numbers_invoices_in_order(renewal: dict, gateway: FakeGateway) -> None:
    first = payment_charge(payment=_create(renewal, key="a")).payment
    second = payment_charge(payment=_create(renewal, key="b")).payment
    assert (first.invoice_number, second.invoice_number) == (1, 2)


def test_it_changes_nothing_when_the_card_is_declined(renewal: dict, gateway: FakeGateway) -> None:
    gateway.outcome, gateway.decline_code = Outcome.DECLINED, "card_declined"
    before = _ends_at(renewal["first"])
    payment = payment_charge(payment=_create(renewal)).payment
    assert (payment.status, payment.decline_code) == ("declined", "card_declined")
    assert payment.invoice_number is None
    assert _ends_at(renewal["first"]) == before
    assert not SubscriptionPeriod.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.PAYMENT_FAILED).count() == 1
    assert not OutboxMessage.objects.filter(template="billing/email/receipt").exists()


def test_it_sends_the_cardholder_to_authenticate_then_settles(
    renewal: dict, gateway: FakeGateway
) -> None:
    gateway.outcome = Outcome.REQUIRES_ACTION
    answer = payment_charge(payment=_create(renewal))
    assert answer.payment.status == PaymentStatus.REQUIRES_ACTION
    assert answer.action_url == "https://gateway.test/authenticate"
    before = _ends_at(renewal["first"])
    # The cardholder authenticates at the gateway; the return URL settles.
    key = answer.payment.idempotency_key
    gateway.charges[key] = gateway.charges[key].__class__(
        outcome=Outcome.SUCCEEDED, charge_id=gateway.charges[key].charge_id
    )
    settled = payment_settle(payment=answer.payment).payment
    assert settled.status == PaymentStatus.SUCCEEDED
    assert _ends_at(renewal["first"]).year == before.year + 1


def test_it_keeps_a_payment_unknown_when_the_answer_is_lost_and_settles_it_once(
    renewal: dict, gateway: FakeGateway
) -> None:
    gateway.lose_answer = True
    before = _ends_at(renewal["first"])
    payment = payment_charge(payment=_create(renewal)).payment
    assert payment.status == PaymentStatus.UNKNOWN
    assert _ends_at(renewal["first"]) == before  # not extended on a guess
    gateway.lose_answer = False
    assert payment_settle(payment=payment).payment.status == PaymentStatus.SUCCEEDED
    assert payment_settle(payment=payment).payment.status == PaymentStatus.SUCCEEDED
    assert gateway.charged == 1
    assert SubscriptionPeriod.objects.filter(subscription=renewal["first"]).count() == 1
    assert _ends_at(renewal["first"]).year == before.year + 1
    assert OutboxMessage.objects.filter(template="billing/email/receipt").count() == 1


def test_it_charges_once_when_the_same_payment_is_charged_again(
    renewal: dict, gateway: FakeGateway
) -> None:
    payment = _create(renewal)
    payment_charge(payment=payment)
    again = payment_charge(payment=_create(renewal)).payment
    assert again.status == PaymentStatus.SUCCEEDED
    assert gateway.charge_calls == 1
    assert SubscriptionPeriod.objects.count() == 1


def test_it_applies_a_success_recorded_twice_only_once(renewal: dict, gateway: FakeGateway) -> None:
    payment = _create(renewal)
    result = gateway.charge(idempotency_key=payment.idempotency_key, amount=payment.amount)
    payments.payment_record(payment=payment, result=result)
    payments.payment_record(payment=payment, result=result)
    assert SubscriptionPeriod.objects.count() == 1
    assert Payment.objects.get(pk=payment.pk).invoice_number == 1


def test_the_periodic_job_settles_payments_left_pending_by_a_killed_worker(
    renewal: dict, gateway: FakeGateway
) -> None:
    payment = _create(renewal)
    # The gateway charged, but the worker died before recording it.
    gateway.charge(idempotency_key=payment.idempotency_key, amount=payment.amount)
    assert payments_settle_unknown() == 0  # too young: its request may still be running
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert payments_settle_unknown() == 1
        assert payments_settle_unknown() == 0
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
    assert SubscriptionPeriod.objects.count() == 1


def test_the_periodic_job_closes_a_payment_that_never_reached_the_gateway(
    renewal: dict, gateway: FakeGateway
) -> None:
    payment = _create(renewal)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        payments_settle_unknown()
    payment.refresh_from_db()
    assert (payment.status, payment.decline_code) == ("declined", "not_sent")
    assert not SubscriptionPeriod.objects.exists()


def test_it_leaves_the_payment_open_while_the_gateway_cannot_be_asked(
    renewal: dict, gateway: FakeGateway
) -> None:
    gateway.unreachable = True
    payment = payment_charge(payment=_create(renewal)).payment
    assert payment.status == PaymentStatus.UNKNOWN
    assert payment_settle(payment=payment).payment.status == PaymentStatus.UNKNOWN


def test_a_webhook_settles_its_payment_by_asking_the_gateway(
    renewal: dict, gateway: FakeGateway
) -> None:
    payment = _create(renewal)
    gateway.charge(idempotency_key=payment.idempotency_key, amount=payment.amount)

    class Event:
        data = {"idempotency_key": payment.idempotency_key}

    settled = payment_settle_from_webhook(Event())
    assert settled is not None and settled.status == PaymentStatus.SUCCEEDED
    assert payment_settle_from_webhook(Event()).status == PaymentStatus.SUCCEEDED  # type: ignore[union-attr]
    assert SubscriptionPeriod.objects.count() == 1


def test_a_webhook_for_an_unknown_payment_changes_nothing(gateway: FakeGateway, db: None) -> None:
    class Event:
        data = {"idempotency_key": "pay_nobody"}

    assert payment_settle_from_webhook(Event()) is None


@pytest.fixture
def paid(renewal: dict, gateway: FakeGateway) -> Payment:
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
    assert [amount for _charge, amount, _key in gateway.refunds] == [1000, 3999]
    assert len({key for _charge, _amount, key in gateway.refunds}) == 2
    event = AuditEvent.objects.filter(action=AuditAction.REFUND_ISSUED).first()
    assert event is not None and event.actor == staff
    assert event.data["reason"] == "Moved abroad"
    with pytest.raises(PaymentRefused):
        payment_refund(payment=paid, amount=1, reason="Again", staff=staff)


def test_it_refuses_to_refund_a_declined_payment(
    renewal: dict, gateway: FakeGateway, staff
) -> None:
    gateway.outcome = Outcome.DECLINED
    declined = payment_charge(payment=_create(renewal)).payment
    with pytest.raises(PaymentRefused) as refused:
        payment_refund(payment=declined, amount=100, reason="x", staff=staff)
    assert refused.value.reason == "not_refundable"
    assert gateway.refunds == []


def test_a_refund_the_gateway_refuses_leaves_the_payment_as_it_was(
    paid: Payment, gateway: FakeGateway, staff
) -> None:
    gateway.refund_succeeds = False
    with pytest.raises(PaymentRefused):
        payment_refund(payment=paid, amount=4999, reason="x", staff=staff)
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_amount) == ("succeeded", 0)
    assert Refund.objects.get().status == "failed"
    gateway.refund_succeeds = True
    payment_refund(payment=paid, amount=4999, reason="x", staff=staff)
    paid.refresh_from_db()
    assert paid.status == "refunded"


def test_a_refund_whose_answer_is_lost_keeps_its_amount_reserved(
    paid: Payment, gateway: FakeGateway, staff
) -> None:
    gateway.unreachable = True
    with pytest.raises(PaymentRefused):
        payment_refund(payment=paid, amount=4000, reason="x", staff=staff)
    gateway.unreachable = False
    with pytest.raises(PaymentRefused) as refused:
        payment_refund(payment=paid, amount=1000, reason="x", staff=staff)
    assert refused.value.reason == "too_much"
