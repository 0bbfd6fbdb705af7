"""Writes of the devices app."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from plugline.core.addresses import ADDRESS_FIELDS
from plugline.core.models import AuditAction
from plugline.core.phones import normalize_phone_number
from plugline.core.services import audit_record
from plugline.devices.models import Device, DeviceModel, DeviceStatus
from plugline.telephony.services import number_quarantine

DEFAULT_MODEL_CODE = "plugline-usb"


def device_model_default() -> DeviceModel:
    """The standard USB device, made on first use (demo data, tests, old rows)."""
    model, _ = DeviceModel.objects.get_or_create(
        code=DEFAULT_MODEL_CODE,
        defaults={"name": "Plugline USB", "picture": "devices/plugline-usb.svg"},
    )
    return model


@transaction.atomic
def device_assign(
    *, serial: str, owner: AbstractBaseUser, phone_number: str, nickname: str = ""
) -> Device:
    """Put a device with its service number on an account (idempotent for the same owner).

    For demo data and tests: customers get their devices through activation.
    """
    e164 = normalize_phone_number(phone_number)
    if e164 is None:
        raise ValidationError(f"{phone_number!r} is not a valid phone number")
    device, _ = Device.objects.select_for_update().get_or_create(
        serial=serial, defaults={"model": device_model_default()}
    )
    if device.owner_id not in (None, owner.pk):
        raise ValidationError(f"device {serial} belongs to another account")
    device.owner_id = owner.pk
    device.status = DeviceStatus.ACTIVE
    device.phone_number = e164
    device.nickname = nickname
    device.full_clean()
    device.save()
    return device


@transaction.atomic
def device_release_all(*, owner: AbstractBaseUser) -> int:
    """Take every device off a closing account; the number of devices released.

    Each device is released as its owner would release it (see
    device_release), its number quarantined.
    """
    devices = list(Device.objects.select_for_update().filter(owner_id=owner.pk))
    for device in devices:
        device_release(device=device, keep_number=False)
    return len(devices)


@transaction.atomic
def device_release(
    *, device: Device, keep_number: bool, request: HttpRequest | None = None
) -> None:
    """The device leaves its account: ready for a new owner, with nothing of the old one's.

    Its E911 address and nickname are wiped (voicemail too, once it exists);
    its number is quarantined, or stays with the device for its next owner
    when the owner chooses so.
    """
    owner = device.owner
    number = device.phone_number
    if not keep_number:
        device.phone_number = None
        if number:
            number_quarantine(e164=number)
    device.owner = None
    device.status = DeviceStatus.RELEASED
    device.nickname = ""
    for field in ADDRESS_FIELDS:
        setattr(device, f"e911_{field}", "")
    device.save()
    if owner is not None:
        audit_record(
            action=AuditAction.DEVICE_RELEASED,
            request=request,
            user=owner,
            data={"serial": device.serial, "number_kept": keep_number},
        )


def release_devices_of_closing_account(user: AbstractBaseUser) -> None:
    """The devices app's account-closing hook (registered in DevicesConfig.ready)."""
    device_release_all(owner=user)
