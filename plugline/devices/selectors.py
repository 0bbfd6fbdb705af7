"""Reads of the devices app, always scoped to whoever asks."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from plugline.devices.keys import token_hash
from plugline.devices.models import Activation, Device, TransferRequest, TransferStatus


def device_owner_id_for_number(e164: str) -> int | None:
    """The account whose device has this service number (for sign-in by number)."""
    return (
        Device.objects.filter(phone_number=e164, owner__isnull=False)
        .values_list("owner_id", flat=True)
        .first()
    )


def device_list_for_user(*, user: AbstractBaseUser) -> QuerySet[Device]:
    return Device.objects.filter(owner_id=user.pk).order_by("created_at", "id")


def device_get_for_user(*, user: AbstractBaseUser, serial: str) -> Device:
    """The account's device with this serial; Http404 for anyone else's, or none.

    Someone else's device is "not found", never "forbidden": the answer must
    not tell whether a serial exists.
    """
    device = (
        Device.objects.select_related("model").filter(owner_id=user.pk, serial=serial).first()
        if user.pk is not None
        else None
    )
    if device is None:
        raise Http404("No such device on this account")
    return device


def device_export(user: AbstractBaseUser) -> list[dict[str, Any]]:
    """The account's devices for its data export."""
    return [
        {
            "serial": device.serial,
            "model": device.model.name,
            "status": device.status,
            "phone_number": device.phone_number or "",
            "nickname": device.nickname,
            "e911_address": device.e911_address,
            "activated_at": device.activated_at,
            # Set by staff: the line is refused whatever the service (None: not suspended).
            "suspended_at": device.suspended_at,
            "suspension_reason": device.suspension_reason,
        }
        for device in device_list_for_user(user=user).select_related("model")
    ]


def transfer_request_waiting(*, activation: Activation) -> TransferRequest | None:
    """The request this wizard made for its device that still waits for the owner's answer."""
    if activation.device_id is None:
        return None
    return (
        TransferRequest.objects.filter(
            activation=activation,
            device_id=activation.device_id,
            status=TransferStatus.PENDING,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


def transfer_request_for_token(token: str) -> TransferRequest | None:
    """The request that an owner's link names (any status: the page says what became of it)."""
    if not token or len(token) > 100:
        return None
    return (
        TransferRequest.objects.select_related("device", "owner")
        .filter(token_hash=token_hash(token))
        .first()
    )
