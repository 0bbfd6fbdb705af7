"""Writes of the devices app."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from plugline.core.phones import normalize_phone_number
from plugline.devices.models import Device


@transaction.atomic
def device_assign(
    *, serial: str, owner: AbstractBaseUser, phone_number: str, nickname: str = ""
) -> Device:
    """Put a device with its service number on an account (idempotent for the same owner)."""
    e164 = normalize_phone_number(phone_number)
    if e164 is None:
        raise ValidationError(f"{phone_number!r} is not a valid phone number")
    device, _ = Device.objects.select_for_update().get_or_create(serial=serial)
    if device.owner_id not in (None, owner.pk):
        raise ValidationError(f"device {serial} belongs to another account")
    device.owner_id = owner.pk
    device.phone_number = e164
    device.nickname = nickname
    device.full_clean()
    device.save()
    return device


@transaction.atomic
def device_release_all(*, owner: AbstractBaseUser) -> int:
    """Take every device off a closing account; the number of devices released.

    The service number goes with the account for now (cleared, back to no
    number), and the nickname, which the owner wrote, is deleted. Whether a
    released device keeps its number for its next owner belongs to the device
    transfer work.
    """
    return Device.objects.filter(owner_id=owner.pk).update(
        owner=None, phone_number=None, nickname=""
    )


def release_devices_of_closing_account(user: AbstractBaseUser) -> None:
    """The devices app's account-closing hook (registered in DevicesConfig.ready)."""
    device_release_all(owner=user)
