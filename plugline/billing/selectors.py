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

from plugline.billing.models import PaymentMethod, Subscription
from plugline.billing.periods import (
    CardExpiry,
    SubscriptionStatus,
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


def card_default_for_user(*, user: AbstractBaseUser) -> PaymentMethod | None:
    return cards_for_user(user=user).filter(is_default=True).first()


def card_get_for_user(*, user: AbstractBaseUser, card_id: int) -> PaymentMethod:
    """The account's card with this id; Http404 for anyone else's, a removed one, or none."""
    card = cards_for_user(user=user).filter(pk=card_id).first() if user.pk is not None else None
    if card is None:
        raise Http404("No such card on this account")
    return card
