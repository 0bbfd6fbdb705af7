"""A charge whose answer was lost is settled by the gateway's signed webhook, once."""

from __future__ import annotations

from django.test import Client

from conftest import Subscriber
from plugline.billing.models import Payment, PaymentKind, PaymentStatus, SubscriptionPeriod
from plugline.billing.payments import payment_charge, payment_create
from plugline.billing.services import card_add_from_session, customer_for_user
from plugline.billing.tests.factories import plan_make, subscription_make
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxEvent
from plugline.sandbox_gateway.signing import signature_header

URL = "/billing/webhooks/sandbox/"


def deliver(event: SandboxEvent) -> int:
    payload = psp.event_body(event)
    return (
        Client()
        .post(
            URL,
            payload,
            content_type="application/json",
            HTTP_SANDBOX_SIGNATURE=signature_header(payload=payload),
        )
        .status_code
    )


def test_the_webhook_settles_a_payment_whose_answer_was_lost(alice: Subscriber) -> None:
    customer = customer_for_user(user=alice.user)
    session = psp.card_session_start(
        customer_id=customer.gateway_customer_id, return_url="/", verify=True
    )
    psp.card_session_complete(
        session_id=session.id,
        number="4242424242424242",
        expiry=psp.Expiry(month=12, year=2040),
        cvc="123",
    )
    card = card_add_from_session(user=alice.user, session_id=session.id)
    assert card is not None
    subscription = subscription_make(alice.devices[0])
    payment = payment_create(
        user=alice.user,
        kind=PaymentKind.CHECKOUT,
        items=[(subscription, plan_make())],
        payment_method=card,
        idempotency_key="pay_webhook_1",
    )
    psp.config_set(timeout_rate=1.0, webhooks_enabled=False)
    assert payment_charge(payment=payment).payment.status == PaymentStatus.UNKNOWN
    psp.config_set(timeout_rate=0.0)
    event = SandboxEvent.objects.get(type="charge.succeeded")
    assert deliver(event) == 200
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
    assert SubscriptionPeriod.objects.filter(subscription=subscription).count() == 1
    # A replay is refused and applies nothing more.
    assert deliver(event) == 400
    assert SubscriptionPeriod.objects.filter(subscription=subscription).count() == 1
