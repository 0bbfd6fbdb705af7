"""What device upgrades do when lower apps announce something (connected in ready())."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from plugline.devices.models import Device
from plugline.devices.signals import activation_completing
from plugline.upgrades.takeover import upgrade_take_over_on_activation


@receiver(activation_completing, dispatch_uid="upgrades_take_over")
def take_over_on_activation(sender: Any, *, device: Device, user: Any, **kwargs: Any) -> None:
    """An upgrade's new device, activated by its buyer, takes the old device's line over."""
    upgrade_take_over_on_activation(user=user, device=device)
