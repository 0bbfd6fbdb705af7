"""Billing data for tests: the demo's plans, a paid item ready to apply, cards on file.

Cards on file are made as a subscriber makes them: a card session at the
sandbox gateway, the test card's number typed on its hosted page, and the
session's card put on file (`card_add_from_session`). What the sandbox then
does with a charge is what its test card does.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from plugline.accounts.models import User
from plugline.billing.gateways import gateway_get
from plugline.billing.models import (
    Payment,
    PaymentItem,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Plan,
    PlanPrice,
    Subscription,
)
from plugline.billing.services import card_add_from_session, customer_for_user
from plugline.devices.models import Device
from plugline.sandbox_gateway.services import config_set

# The sandbox's test cards (Stripe's numbers), as a subscriber types them.
CARD_SUCCEEDS = "4242 4242 4242 4242"
CARD_DECLINED_WHEN_CHARGED = "4000 0000 0000 0341"  # saved, then card_declined (hard)
CARD_NEEDS_AUTHENTICATION = "4000 0027 6000 3184"  # each charge awaits the cardholder
CARD_INSUFFICIENT_FUNDS = "4000 0000 0000 9995"  # a soft decline


def make_plan(
    code: str = "1-year",
    *,
    months: int = 12,
    usd: int = 4999,
    autorenew_allowed: bool = True,
    active: bool = True,
) -> Plan:
    plan, _ = Plan.objects.get_or_create(
        code=code,
        defaults={
            "name": f"{months} months",
            "months": months,
            "autorenew_allowed": autorenew_allowed,
            "active": active,
        },
    )
    PlanPrice.objects.get_or_create(plan=plan, currency="USD", defaults={"amount": usd})
    return plan


def plan_make(code: str = "year", months: int = 12, amount: int = 4999) -> Plan:
    plan = Plan.objects.create(code=code, name=f"{months} months", months=months)
    PlanPrice.objects.create(plan=plan, currency="USD", amount=amount)
    return plan


def subscription_make(device: Device, days_left: int = 20) -> Subscription:
    return Subscription.objects.create(
        device=device, ends_at=timezone.now() + timedelta(days=days_left)
    )


def make_paid_item(
    *,
    user: User,
    subscription: Subscription,
    plan: Plan,
    status: PaymentStatus = PaymentStatus.SUCCEEDED,
) -> PaymentItem:
    amount = plan.prices.get(currency="USD").amount
    payment = Payment.objects.create(
        user=user,
        kind=PaymentKind.CHECKOUT,
        idempotency_key=f"test-{uuid.uuid4()}",
        amount=amount,
        currency="USD",
        status=status,
        gateway="sandbox",
        card_brand="Visa",
        card_last4="4242",
    )
    return PaymentItem.objects.create(
        payment=payment, subscription=subscription, plan=plan, amount=amount
    )


def sandbox_reset() -> None:
    """The sandbox answers at once and always: no latency, no failures, no lost answers."""
    config_set(latency_ms=0, timeout_rate=0.0, failure_rate=0.0)


def card_on_file(user: User, number: str = CARD_SUCCEEDS, *, expiry: str = "") -> PaymentMethod:
    """A card on `user`'s file, typed on the sandbox's hosted card page.

    The account's customer is made at the sandbox if needed; the first card
    becomes the account's default. `expiry` is typed as "MM/YY" (the hosted
    page refuses a past one); by default three years from now.
    """
    customer = customer_for_user(user=user)
    page_url = gateway_get().card_session_start(
        customer_id=customer.gateway_customer_id,
        return_url="http://testserver" + reverse("cards:added"),
        verify=False,
    )
    expiry = expiry or f"12/{(timezone.now().year + 3) % 100:02d}"
    response = Client().post(
        page_url, {"number": number, "expiry": expiry, "cvc": "123", "name": "Card Holder"}
    )
    assert response.status_code == 302, response.content.decode()
    session_id = parse_qs(urlsplit(response["Location"]).query)["session"][0]
    card = card_add_from_session(user=user, session_id=session_id)
    assert card is not None
    return card
