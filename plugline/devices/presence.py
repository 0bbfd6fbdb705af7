"""Proofs that a device is here: signed one-time challenges, or the serial with its label code.

The server hands out a random challenge; the device signs it with its key
(devices.keys.presence_sign) and the signature is checked against the
public key Plugline keeps. Only the challenge's SHA-256 is stored, a
challenge works once, for one device and one purpose ("agent" for the
device API, "activation:<uuid>" for one browser's wizard), for two minutes.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone

from plugline.devices.keys import (
    label_code_hash,
    label_code_matches,
    presence_signature_is_valid,
    token_hash,
)
from plugline.devices.models import Device, DeviceChallenge

CHALLENGE_LIFETIME = timedelta(minutes=2)
# Challenges for the device API (as opposed to one wizard's "activation:<uuid>").
PURPOSE_AGENT = "agent"
SERIAL_MAX_LENGTH = 40


def serial_normalize(serial: str) -> str:
    """A serial as typed or sent, without the spaces a person may add."""
    return "".join(serial.split())[:SERIAL_MAX_LENGTH]


def device_for_serial(serial: str) -> Device | None:
    """The device with this serial, as typed or in capitals (as labels print it).

    Only for code that goes on to check a proof of possession (a signature,
    the label code): knowing a serial is never enough to act on a device.
    """
    typed = serial_normalize(serial)
    if not typed:
        return None
    return (
        Device.objects.select_related("model")
        .filter(serial__in={typed, typed.upper()})
        .order_by(models.Case(models.When(serial=typed, then=0), default=1))
        .first()
    )


def challenge_new() -> str:
    """A fresh random challenge (also what an unknown serial is given: it never verifies)."""
    return secrets.token_urlsafe(32)


def challenge_issue(*, device: Device, purpose: str) -> str:
    """A one-time challenge for `device` to sign, valid for CHALLENGE_LIFETIME."""
    challenge = challenge_new()
    DeviceChallenge.objects.create(
        device=device,
        challenge_hash=token_hash(challenge),
        purpose=purpose,
        expires_at=timezone.now() + CHALLENGE_LIFETIME,
    )
    return challenge


@transaction.atomic
def challenge_verify(*, serial: str, challenge: str, signature: str, purpose: str) -> Device | None:
    """The device, if `signature` is its signature of a live challenge issued for `purpose`.

    The challenge is used up by the first valid proof: the conditional
    update below sets used_at only while it is empty, so of two requests
    racing with the same challenge exactly one wins. A wrong signature does
    not use it up (the device itself may still answer).
    """
    device = device_for_serial(serial)
    if device is None or not device.public_key:
        return None
    if not presence_signature_is_valid(
        public_key=device.public_key, challenge=challenge, signature=signature
    ):
        return None
    now = timezone.now()
    claimed = DeviceChallenge.objects.filter(
        device=device,
        purpose=purpose,
        challenge_hash=token_hash(challenge),
        used_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now)
    return device if claimed == 1 else None


def device_for_label_code(*, serial: str, code: str) -> Device | None:
    """The device, if `code` is the code printed on its label (callers rate limit this)."""
    device = device_for_serial(serial)
    if device is None:
        # The same work as for a known serial, so that timing tells nothing.
        label_code_hash(serial=serial_normalize(serial), code=code)
        return None
    if not label_code_matches(serial=device.serial, code=code, stored_hash=device.label_code_hash):
        return None
    return device


def challenges_expired_delete() -> int:
    """Forget challenges past their time (a periodic job); the number deleted."""
    deleted, _ = DeviceChallenge.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
