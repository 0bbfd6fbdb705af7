"""The new device of an upgrade takes over the old one's line when it is activated.

When the activation wizard completes (devices.signals.activation_completing, inside
its transaction) for a device shipped on an order of the same account, the order is
claimed once (a conditional update: only one activation ever takes an order over,
backed by the order's unique new device), then the new device gets the old one's
number, service end date and AutoRenew, E911 address, voicemail, blocked callers and
call settings, and the old device is retired (its SIP credentials no longer work).
"""

from __future__ import annotations

import logging

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from plugline.billing.services import subscription_take_over
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.devices.models import Activation, Device, DeviceStatus
from plugline.devices.services import device_line_take_over
from plugline.upgrades.models import UpgradeOrder, UpgradeOrderStatus

logger = logging.getLogger(__name__)

TAKEOVER_STATUSES = (UpgradeOrderStatus.SHIPPED, UpgradeOrderStatus.DELIVERED)


@transaction.atomic
def upgrade_take_over(*, user: AbstractBaseUser, new_device: Device) -> UpgradeOrder | None:
    """If `new_device` was shipped on one of `user`'s orders not taken over yet, take the
    old device's line over, once; the order taken over, or None.

    Runs inside the activation's transaction: the device is active on the account.
    """
    order = (
        UpgradeOrder.objects.select_related("device")
        .filter(
            new_serial=new_device.serial,
            owner_id=user.pk,
            status__in=TAKEOVER_STATUSES,
            taken_over_at__isnull=True,
        )
        .first()
    )
    if order is None:
        return None
    old_device = order.device
    if old_device.owner_id != user.pk:
        # The old device left the account meanwhile: the new one keeps its own number.
        return None
    # The claim: of two activations at once, one updates the row, the other finds it taken.
    claimed = UpgradeOrder.objects.filter(
        pk=order.pk, status__in=TAKEOVER_STATUSES, taken_over_at__isnull=True
    ).update(new_device=new_device, taken_over_at=timezone.now())
    if not claimed:
        return None
    subscription_take_over(from_device=old_device, to_device=new_device)
    if not device_line_take_over(
        old_device_id=old_device.pk, new_device_id=new_device.pk, owner_id=user.pk
    ):
        # Either device is no longer the account's active one: undo the claim with the rest.
        raise _NotTakenOver
    # The wizard's instance: its "Your device is active" email names the line's number.
    new_device.refresh_from_db()
    audit_record(
        action=AuditAction.DEVICE_RELEASED,
        user=user,
        identifier=old_device.serial,
        data={
            "serial": old_device.serial,
            "retired": True,
            "upgraded_to": new_device.serial,
            "upgrade_order": order.pk,
        },
    )
    return UpgradeOrder.objects.get(pk=order.pk)


class _NotTakenOver(Exception):
    pass


def upgrade_take_over_on_activation(*, user: AbstractBaseUser, device: Device) -> None:
    """The receiver's work: take over if the device is an upgrade's. A takeover that cannot
    be made changes nothing here (the wizard refuses an activation whose number was to
    come from the old device, see upgrade_number_kept)."""
    try:
        with transaction.atomic():
            upgrade_take_over(user=user, new_device=device)
    except _NotTakenOver:
        logger.warning("device %s: its upgrade could not take the old line over", device.serial)


def upgrade_number_kept(activation: Activation) -> str | None:
    """For the activation wizard (devices.wizard.state): the number the wizard's device takes
    over, when it was shipped on an order of the wizard's account that its activation takes
    over (the old device still the account's, active, with a number)."""
    if activation.device_id is None or activation.user_id is None:
        return None
    return (
        UpgradeOrder.objects.filter(
            new_serial=Device.objects.filter(pk=activation.device_id).values("serial")[:1],
            owner_id=activation.user_id,
            status__in=TAKEOVER_STATUSES,
            taken_over_at__isnull=True,
            device__owner_id=activation.user_id,
            device__status=DeviceStatus.ACTIVE,
            device__phone_number__isnull=False,
        )
        .values_list("device__phone_number", flat=True)
        .first()
    )
