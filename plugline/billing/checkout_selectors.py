"""Reads for renewing online: the account's devices with their service, its cart, its invoices.

Every read is scoped to the account asking; anyone else's row is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from plugline.billing.models import (
    CartItem,
    Payment,
    PaymentMethod,
    Plan,
    PlanPrice,
    Subscription,
)
from plugline.billing.periods import SubscriptionStatus, recently_expired, subscription_status
from plugline.devices.models import Device
from plugline.devices.selectors import device_list_for_user


@dataclass(frozen=True)
class RenewableDevice:
    device: Device
    subscription: Subscription | None
    status: SubscriptionStatus
    ends_at: datetime | None
    # Expired recently: offered "Reactivate" rather than "Renew".
    reactivate: bool

    @property
    def name(self) -> str:
        display = getattr(self.device, "phone_number_display", "") or self.device.phone_number
        return self.device.nickname or str(display or "") or self.device.serial


def renewable_devices(*, user: AbstractBaseUser) -> list[RenewableDevice]:
    """The account's devices, each with its service's end date and status."""
    devices = list(device_list_for_user(user=user))
    subscriptions = {
        subscription.device_id: subscription
        for subscription in Subscription.objects.filter(device__in=devices)
    }
    now = timezone.now()
    grace_days = getattr(settings, "BILLING_GRACE_DAYS", 7)
    rows = []
    for device in devices:
        subscription = subscriptions.get(device.pk)
        ends_at = subscription.ends_at if subscription else None
        trial_ends_at = subscription.trial_ends_at if subscription else None
        rows.append(
            RenewableDevice(
                device=device,
                subscription=subscription,
                status=subscription_status(ends_at, trial_ends_at, now, grace_days),
                ends_at=ends_at,
                reactivate=recently_expired(ends_at, now, grace_days),
            )
        )
    return rows


@dataclass(frozen=True)
class PricedPlan:
    plan: Plan
    amount: int
    currency: str


def plans_for_sale() -> list[PricedPlan]:
    """Active plans with a price in the billing currency, shortest first."""
    currency = settings.BILLING_CURRENCY
    prices = PlanPrice.objects.filter(currency=currency, plan__active=True).select_related("plan")
    return sorted(
        (PricedPlan(plan=price.plan, amount=price.amount, currency=currency) for price in prices),
        key=lambda priced: (priced.plan.months, priced.plan.code),
    )


@dataclass(frozen=True)
class CartLine:
    item: CartItem
    device: Device
    plan: Plan
    amount: int | None  # None: the plan has no price now (it cannot be paid)


def cart_lines(*, user: AbstractBaseUser) -> list[CartLine]:
    items = (
        CartItem.objects.filter(user_id=user.pk, subscription__device__owner_id=user.pk)
        .select_related("subscription__device", "plan")
        .order_by("added_at", "pk")
    )
    prices = {
        price.plan_id: price.amount
        for price in PlanPrice.objects.filter(currency=settings.BILLING_CURRENCY, plan__active=True)
    }
    return [
        CartLine(
            item=item,
            device=item.subscription.device,
            plan=item.plan,
            amount=prices.get(item.plan_id),
        )
        for item in items
    ]


def cart_payment_open(*, user: AbstractBaseUser) -> Payment | None:
    """The payment paying the account's cart right now (its outcome not settled yet), if any."""
    if not user.pk:
        return None
    held_by = CartItem.objects.filter(user_id=user.pk, payment__isnull=False).values("payment_id")
    return Payment.objects.filter(user_id=user.pk, pk__in=held_by).order_by("created_at").first()


def cards_on_file(*, user: AbstractBaseUser) -> QuerySet[PaymentMethod]:
    """The account's cards, the default first."""
    return PaymentMethod.objects.filter(user_id=user.pk, removed_at__isnull=True).order_by(
        "-is_default", "-created_at"
    )


def payments_for_user(*, user: AbstractBaseUser) -> QuerySet[Payment]:
    """Every payment of the account, newest first."""
    return (
        Payment.objects.filter(user_id=user.pk)
        .prefetch_related("items__subscription__device", "items__plan")
        .order_by("-created_at")
    )


def invoice_latest_for_user(*, user: AbstractBaseUser) -> Payment | None:
    """The account's newest invoice (a payment with an invoice number), if any."""
    if not user.pk:
        return None
    return (
        Payment.objects.filter(user_id=user.pk, invoice_number__isnull=False)
        .order_by("-created_at", "-invoice_number")
        .first()
    )


def payment_get_for_user(*, user: AbstractBaseUser, payment_id: str) -> Payment:
    payment = Payment.objects.filter(user_id=user.pk, pk=payment_id).first() if user.pk else None
    if payment is None:
        raise Http404("No such payment on this account")
    return payment


def invoice_get_for_user(*, user: AbstractBaseUser, number: int) -> Payment:
    payment = (
        Payment.objects.filter(user_id=user.pk, invoice_number=number).first() if user.pk else None
    )
    if payment is None:
        raise Http404("No such invoice on this account")
    return payment
