"""Reads of device upgrades, always for the subscriber (or staff member) asking."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from plugline.devices.models import Device, DeviceStatus
from plugline.upgrades.models import UpgradeOffer, UpgradeOrder, UpgradeOrderStatus


def full_years_between(start: date, end: date) -> int:
    """Whole years from `start` to `end` (a birthday rule: 29 February counts on 1 March)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return max(years, 0)


def device_age_years(device: Device, *, now: datetime | None = None) -> int:
    """How old the device is for the offers: whole years since its activation."""
    now = now or timezone.now()
    since = device.activated_at or device.created_at
    return full_years_between(since.date(), now.date())


def upgrade_offers_for_device(
    *, user: AbstractBaseUser, device: Device, now: datetime | None = None
) -> list[UpgradeOffer]:
    """The offers that apply now to the user's own active device, cheapest first (one query).

    An offer applies when it is valid now, its model is not the device's own, the device is
    old enough (if it says an age) and of one of its models (if it names models).
    """
    if device.owner_id != user.pk or device.status != DeviceStatus.ACTIVE:
        return []
    now = now or timezone.now()
    return list(
        UpgradeOffer.objects.filter(valid_from__lte=now)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .filter(
            Q(min_age_years__isnull=True) | Q(min_age_years__lte=device_age_years(device, now=now))
        )
        .filter(Q(eligible_models__isnull=True) | Q(eligible_models=device.model_id))
        .exclude(model_id=device.model_id)
        .select_related("model")
        .distinct()
        .order_by("price", "pk")
    )


def upgrade_offer_for_device(
    *, user: AbstractBaseUser, device: Device, offer_id: int
) -> UpgradeOffer | None:
    """One of the offers that apply to the user's device, or None."""
    for offer in upgrade_offers_for_device(user=user, device=device):
        if offer.pk == offer_id:
            return offer
    return None


def upgrade_orders_for_device(*, user: AbstractBaseUser, device: Device) -> list[UpgradeOrder]:
    """The user's orders to upgrade their device that went past the payment, newest first."""
    return list(
        UpgradeOrder.objects.filter(device_id=device.pk, owner_id=user.pk)
        .exclude(status__in=[UpgradeOrderStatus.PENDING, UpgradeOrderStatus.DECLINED])
        .select_related("model")
        .order_by("-created_at")
    )


def upgrade_order_pending(*, device: Device) -> UpgradeOrder | None:
    """The device's order its owner placed that waits for its payment's outcome."""
    return (
        UpgradeOrder.objects.select_related("payment", "model")
        .filter(device_id=device.pk, owner_id=device.owner_id, status=UpgradeOrderStatus.PENDING)
        .first()
    )


def upgrade_order_for_payment(*, user: AbstractBaseUser, payment_id: str) -> UpgradeOrder | None:
    """The user's own order paid (or being paid) by this payment."""
    return (
        UpgradeOrder.objects.select_related("payment", "device", "model")
        .filter(payment_id=payment_id, payment__user_id=user.pk, owner_id=user.pk)
        .first()
    )


def upgrade_order_open(*, user: AbstractBaseUser, device: Device) -> UpgradeOrder | None:
    """The user's paid order for their device whose new device has not taken over yet."""
    return (
        UpgradeOrder.objects.filter(
            device_id=device.pk,
            owner_id=user.pk,
            status__in=[
                UpgradeOrderStatus.PAID,
                UpgradeOrderStatus.SHIPPED,
                UpgradeOrderStatus.DELIVERED,
                UpgradeOrderStatus.CANCELLING,
            ],
            taken_over_at__isnull=True,
        )
        .select_related("model")
        .first()
    )


def upgrade_orders_export(user: AbstractBaseUser) -> list[dict[str, object]]:
    """The account's upgrade orders for its data export: what, for which device, where to."""
    return [
        {
            "ordered_at": order.created_at.isoformat(),
            "device": order.device.serial,
            "model": order.model.name,
            "price": order.price,
            "currency": order.currency,
            "status": order.status,
            "shipping_address": order.shipping_address,
            "tracking_number": order.tracking_number,
            "new_device": order.new_serial,
        }
        for order in UpgradeOrder.objects.filter(owner_id=user.pk)
        .select_related("device", "model")
        .order_by("created_at")
    ]
