"""Billing data for tests: the demo's plans, and a paid item ready to apply."""

from __future__ import annotations

import uuid

from plugline.accounts.models import User
from plugline.billing.models import (
    Payment,
    PaymentItem,
    PaymentKind,
    PaymentStatus,
    Plan,
    PlanPrice,
    Subscription,
)


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
