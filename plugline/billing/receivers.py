"""What billing does when lower apps announce something (connected in BillingConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from plugline.billing.services import subscription_add_included_period
from plugline.devices.models import Device, PurchaseChannel
from plugline.devices.signals import device_activated


@receiver(device_activated, dispatch_uid="billing_included_period")
def included_period_on_activation(
    sender: Any, *, device: Device, purchase_channel: str, **kwargs: Any
) -> None:
    """A device bought in a store starts with its model's included months."""
    if purchase_channel == PurchaseChannel.STORE:
        device = Device.objects.select_related("model", "owner").get(pk=device.pk)
        subscription_add_included_period(device=device)
