"""What a device's line is now, as the device API's /status tells the device itself.

A device on an account is "active" only while its line works: "suspended"
when staff suspended it, "expired" when its service is over (past its grace
days). Billing, which sits above devices, says whether a device's service is
over through register_service_over_lookup (no import upward).
"""

from __future__ import annotations

from collections.abc import Callable

from plugline.devices.models import Device, DeviceStatus

SUSPENDED = "suspended"
EXPIRED = "expired"

ServiceOverLookup = Callable[[Device], bool]
_service_over_lookups: list[ServiceOverLookup] = []


def register_service_over_lookup(lookup: ServiceOverLookup) -> None:
    """Let an app above say whether a device's service is over (expired, past its grace)."""
    if lookup not in _service_over_lookups:
        _service_over_lookups.append(lookup)


def device_line_status(device: Device) -> str:
    """The device's status, "suspended" or "expired" instead of "active" when its line is off."""
    if device.status != DeviceStatus.ACTIVE:
        return str(device.status)
    if device.suspended_at is not None:
        return SUSPENDED
    if any(lookup(device) for lookup in _service_over_lookups):
        return EXPIRED
    return str(device.status)
