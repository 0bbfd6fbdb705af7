"""Reads of the billing app, always scoped to whoever asks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from plugline.billing.models import Payment, PaymentMethod, Plan, PlanPrice, Subscription
from plugline.billing.periods import (
    CARD_EXPIRES_SOON_DAYS,
    REACTIVATE_DAYS,
    CardExpiry,
    SubscriptionStatus,
    card_expires_at,
    card_expiry,
    recently_expired,
    subscription_status,
)
from plugline.devices.models import Device


@dataclass(frozen=True)
class ServiceSummary:
    """What a subscriber sees of a device's service: until when, and in what state."""

    ends_at: dt.datetime | None
    trial_ends_at: dt.datetime | None
    status: SubscriptionStatus
    # Expired not long ago: offered "Reactivate" rather than "Renew".
    reactivate: bool
    autorenew: bool

    @property
    def shown_until(self) -> dt.datetime | None:
        return self.ends_at or self.trial_ends_at

    @property
    def changes_at(self) -> list[dt.datetime]:
        """The moments its status may change by time alone: the trial's end, the service's
        end, the end of its grace and of the time it is offered to be reactivated."""
        moments = [self.trial_ends_at] if self.trial_ends_at else []
        if self.ends_at:
            grace_ends_at = self.ends_at + dt.timedelta(days=settings.BILLING_GRACE_DAYS)
            moments += [
                self.ends_at,
                grace_ends_at,
                self.ends_at + dt.timedelta(days=REACTIVATE_DAYS),
            ]
        return moments


NO_SERVICE = ServiceSummary(
    ends_at=None,
    trial_ends_at=None,
    status=SubscriptionStatus.EXPIRED,
    reactivate=False,
    autorenew=False,
)


def service_summary(
    subscription: Subscription | None, now: dt.datetime | None = None
) -> ServiceSummary:
    if subscription is None:
        return NO_SERVICE
    now = now or timezone.now()
    grace_days = settings.BILLING_GRACE_DAYS
    return ServiceSummary(
        ends_at=subscription.ends_at,
        trial_ends_at=subscription.trial_ends_at,
        status=subscription_status(
            subscription.ends_at, subscription.trial_ends_at, now, grace_days
        ),
        reactivate=recently_expired(subscription.ends_at, now, grace_days),
        autorenew=subscription.autorenew,
    )


def device_service_over(device: Device) -> bool:
    """Whether the device's service is over (expired past its grace days, or never bought)."""
    subscription = Subscription.objects.filter(device=device).first()
    return service_summary(subscription).status is SubscriptionStatus.EXPIRED


def subscriptions_for_devices(devices: Iterable[Device]) -> dict[int, ServiceSummary]:
    """Each device's service, by device id, in one query (devices without one: NO_SERVICE).

    The caller has already scoped `devices` to the account asking.
    """
    ids = [device.pk for device in devices]
    found = {
        subscription.device_id: subscription
        for subscription in Subscription.objects.filter(device_id__in=ids)
    }
    now = timezone.now()
    return {device_id: service_summary(found.get(device_id), now) for device_id in ids}


@dataclass(frozen=True)
class DeviceRenewal:
    """A device's service, its AutoRenew plan, and the plan "Renew" buys for it."""

    service: ServiceSummary
    # The plan AutoRenew renews with, when AutoRenew is on.
    autorenew_plan: Plan | None
    # Its usual plan, if for sale: the AutoRenew plan, else the last plan bought,
    # else the cheapest plan for sale. None: nothing can be bought for it now.
    renew_plan: Plan | None


def renewals_for_devices(devices: Iterable[Device]) -> dict[int, DeviceRenewal]:
    """Each device's DeviceRenewal, by device id, in two queries whatever their number.

    The caller has already scoped `devices` to the account asking.
    """
    ids = [device.pk for device in devices]
    found = {
        subscription.device_id: subscription
        for subscription in Subscription.objects.filter(device_id__in=ids).select_related(
            "plan", "autorenew_plan"
        )
    }
    return _renewals(ids, found)


def device_renewals_for_user(*, user: AbstractBaseUser) -> list[tuple[Device, DeviceRenewal]]:
    """The account's devices (oldest first), each with its DeviceRenewal, in two queries
    whatever their number: the devices with their subscriptions and plans, and the prices."""
    devices = list(
        Device.objects.filter(owner_id=user.pk)
        .select_related("subscription__plan", "subscription__autorenew_plan")
        .order_by("created_at", "id")
    )
    # A device never served has no subscription (hasattr: no query, select_related knew).
    found = {d.pk: d.subscription for d in devices if hasattr(d, "subscription")}
    renewals = _renewals([device.pk for device in devices], found)
    return [(device, renewals[device.pk]) for device in devices]


def _renewals(ids: list[int], found: dict[int, Subscription]) -> dict[int, DeviceRenewal]:
    """DeviceRenewal of each device id, from its subscription (if any) and the plans for sale."""
    for_sale = {
        price.plan_id: price
        for price in PlanPrice.objects.filter(
            currency=settings.BILLING_CURRENCY, plan__active=True
        ).select_related("plan")
    }
    cheapest = min(
        for_sale.values(),
        key=lambda price: (price.amount, price.plan.months, price.plan.code),
        default=None,
    )
    now = timezone.now()
    renewals = {}
    for device_id in ids:
        subscription = found.get(device_id)
        autorenew_plan = None
        usual: list[int | None] = []
        if subscription is not None:
            if subscription.autorenew:
                autorenew_plan = subscription.autorenew_plan
                usual.append(subscription.autorenew_plan_id)
            usual.append(subscription.plan_id)
        renew_plan = next(
            (for_sale[plan_id].plan for plan_id in usual if plan_id in for_sale),
            cheapest.plan if cheapest is not None else None,
        )
        renewals[device_id] = DeviceRenewal(
            service=service_summary(subscription, now),
            autorenew_plan=autorenew_plan,
            renew_plan=renew_plan,
        )
    return renewals


def autorenew_device_count(*, user: AbstractBaseUser) -> int:
    """How many of the account's devices renew themselves with the card on file."""
    return Subscription.objects.filter(device__owner_id=user.pk, autorenew=True).count()


def subscription_for_device_get(*, device: Device) -> Subscription | None:
    return Subscription.objects.filter(device=device).first()


@dataclass(frozen=True)
class CardOnFile:
    card: PaymentMethod
    expiry: CardExpiry

    @property
    def expired(self) -> bool:
        return self.expiry is CardExpiry.EXPIRED

    @property
    def expires_soon(self) -> bool:
        return self.expiry is CardExpiry.EXPIRES_SOON

    @property
    def changes_at(self) -> list[dt.datetime]:
        """The moments its expiry changes by time alone: "expires soon", then expired."""
        expires_at = card_expires_at(self.card.exp_month, self.card.exp_year)
        return [expires_at - dt.timedelta(days=CARD_EXPIRES_SOON_DAYS), expires_at]


def cards_for_user(*, user: AbstractBaseUser) -> QuerySet[PaymentMethod]:
    """The account's cards on file, the default first, then the newest."""
    return PaymentMethod.objects.filter(user_id=user.pk, removed_at__isnull=True).order_by(
        "-is_default", "-created_at", "-pk"
    )


def cards_on_file(*, user: AbstractBaseUser) -> list[CardOnFile]:
    now = timezone.now()
    return [
        CardOnFile(card=card, expiry=card_expiry(card.exp_month, card.exp_year, now))
        for card in cards_for_user(user=user)
    ]


def card_on_file_for_user(*, user: AbstractBaseUser) -> CardOnFile | None:
    """The card the account pays with (its default, else its newest), with its expiry."""
    card = cards_for_user(user=user).first()
    if card is None:
        return None
    return CardOnFile(card=card, expiry=card_expiry(card.exp_month, card.exp_year, timezone.now()))


def card_default_for_user(*, user: AbstractBaseUser) -> PaymentMethod | None:
    return cards_for_user(user=user).filter(is_default=True).first()


def card_get_for_user(*, user: AbstractBaseUser, card_id: int) -> PaymentMethod:
    """The account's card with this id; Http404 for anyone else's, a removed one, or none."""
    card = cards_for_user(user=user).filter(pk=card_id).first() if user.pk is not None else None
    if card is None:
        raise Http404("No such card on this account")
    return card


def _number_change_export(payment: Payment) -> dict[str, object]:
    """What a change of number's payment paid for: the old and the new number."""
    change = getattr(payment, "number_change", None)  # None for other payments
    if change is None:
        return {}
    return {
        "number_change": {
            "old_number": change.old_number,
            "new_number": change.new_number,
            "status": change.status,
        }
    }


def billing_export(user: AbstractBaseUser) -> dict[str, list[dict[str, object]]]:
    """The account's billing for its data export: cards (never a token), payments, services.

    Card tokens and gateway ids are the gateway's keys to the money, not the
    subscriber's data: they are left out, like password hashes.
    """
    cards: list[dict[str, object]] = [
        {
            "brand": card.brand,
            "last4": card.last4,
            "expiry": f"{card.exp_month:02d}/{card.exp_year}",
            "default": card.is_default,
            "added_at": card.created_at.isoformat(),
        }
        for card in PaymentMethod.objects.filter(user_id=user.pk, removed_at__isnull=True)
    ]
    payments: list[dict[str, object]] = [
        {
            "date": payment.created_at.isoformat(),
            "kind": payment.kind,
            "amount": payment.amount,
            "currency": payment.currency,
            "status": payment.status,
            "invoice_number": payment.invoice_number,
            "card": f"{payment.card_brand} {payment.card_last4}".strip(),
            "refunded_amount": payment.refunded_amount,
            "devices": [item.subscription.device.serial for item in payment.items.all()],
            **_number_change_export(payment),
        }
        for payment in Payment.objects.filter(user_id=user.pk)
        .select_related("number_change")
        .prefetch_related("items__subscription__device")
        .order_by("created_at")
    ]
    services: list[dict[str, object]] = [
        {
            "device": subscription.device.serial,
            "plan": subscription.plan.name if subscription.plan else "",
            "ends_at": subscription.ends_at.isoformat() if subscription.ends_at else None,
            "trial_ends_at": (
                subscription.trial_ends_at.isoformat() if subscription.trial_ends_at else None
            ),
            "autorenew": subscription.autorenew,
        }
        for subscription in Subscription.objects.filter(device__owner_id=user.pk).select_related(
            "device", "plan"
        )
    ]
    return {"cards": cards, "payments": payments, "services": services}
