"""Hand-made history for the reports' tests: rows written with the dates a test gives."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

from plugline.accounts.models import User
from plugline.billing.models import (
    Payment,
    PaymentItem,
    PaymentKind,
    PaymentStatus,
    PeriodSource,
    Plan,
    PlanPrice,
    Subscription,
    SubscriptionPeriod,
)
from plugline.devices.models import Device, DeviceStatus
from plugline.devices.services import device_model_default

UTC = dt.UTC
# Two weeks of March 2025, each from its Monday.
WEEK_1 = dt.date(2025, 3, 3)
WEEK_2 = dt.date(2025, 3, 10)
_serials = itertools.count(1)


def at(day: dt.date, *, days: int = 0, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=UTC) + dt.timedelta(days=days)


def plan(code: str = "1-year", *, name: str = "1 year", months: int = 12) -> Plan:
    made, _ = Plan.objects.get_or_create(code=code, defaults={"name": name, "months": months})
    PlanPrice.objects.get_or_create(plan=made, currency="USD", defaults={"amount": 4999})
    return made


def owner() -> User:
    user = User.objects.filter(email="owner@example.com").first()
    return user or User.objects.create_user("owner@example.com", None)


def device(status: DeviceStatus = DeviceStatus.ACTIVE) -> Device:
    return Device.objects.create(
        serial=f"RPT{next(_serials):06d}",
        model=device_model_default(),
        status=status,
        owner=owner() if status == DeviceStatus.ACTIVE else None,
    )


def subscription() -> Subscription:
    return Subscription.objects.create(device=device())


def payment(
    *,
    created: dt.datetime,
    kind: PaymentKind = PaymentKind.CHECKOUT,
    amount: int = 4999,
    currency: str = "USD",
    status: PaymentStatus = PaymentStatus.SUCCEEDED,
    refunded: int = 0,
    decline_code: str = "",
) -> Payment:
    made = Payment.objects.create(
        user=owner(),
        kind=kind,
        idempotency_key=f"report-test-{uuid.uuid4()}",
        amount=amount,
        currency=currency,
        status=status,
        gateway="sandbox",
        refunded_amount=refunded,
        decline_code=decline_code,
    )
    Payment.objects.filter(pk=made.pk).update(created_at=created)
    return made


def item(paid: Payment, *, subscription: Subscription, plan: Plan, amount: int) -> PaymentItem:
    return PaymentItem.objects.create(
        payment=paid, subscription=subscription, plan=plan, amount=amount
    )


def period(
    sub: Subscription,
    *,
    source: PeriodSource,
    starts: dt.datetime,
    ends: dt.datetime | None = None,
    created: dt.datetime | None = None,
    kind: PaymentKind = PaymentKind.CHECKOUT,
) -> SubscriptionPeriod:
    """A period of `sub`; one of source "payment" gets its succeeded payment of `kind`."""
    paid_item = None
    if source == PeriodSource.PAYMENT:
        paid = payment(created=created or starts, kind=kind)
        paid_item = item(paid, subscription=sub, plan=plan(), amount=paid.amount)
    made = SubscriptionPeriod.objects.create(
        subscription=sub,
        plan=plan(),
        starts_at=starts,
        ends_at=ends or starts + dt.timedelta(days=365),
        source=source,
        payment_item=paid_item,
    )
    SubscriptionPeriod.objects.filter(pk=made.pk).update(created_at=created or starts)
    return made
