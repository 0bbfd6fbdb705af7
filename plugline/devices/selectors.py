"""Reads of the devices app, always scoped to whoever asks."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from plugline.devices.models import Device


def device_owner_id_for_number(e164: str) -> int | None:
    """The account whose device has this service number (for sign-in by number)."""
    return (
        Device.objects.filter(phone_number=e164, owner__isnull=False)
        .values_list("owner_id", flat=True)
        .first()
    )


def device_list_for_user(*, user: AbstractBaseUser) -> QuerySet[Device]:
    return Device.objects.filter(owner_id=user.pk).order_by("created_at", "id")


def device_export(user: AbstractBaseUser) -> list[dict[str, str]]:
    """The account's devices for its data export."""
    return [
        {"serial": serial, "phone_number": phone_number or "", "nickname": nickname}
        for serial, phone_number, nickname in device_list_for_user(user=user).values_list(
            "serial", "phone_number", "nickname"
        )
    ]
