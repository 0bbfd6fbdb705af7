"""Rate limits on finding a device: the device API and step 1 of the activation wizard.

A serial is printed on the box and the label code is short, so everything
that answers about a serial is limited per client address and per serial,
in the cache that every web process shares (Redis in production). The
counting is allauth's (the same as for sign-in): a lock in the cache around
each counter, so that concurrent requests cannot slip past a limit.
"""

from __future__ import annotations

from allauth.core.internal.ratelimit import consume
from django.http import HttpRequest

from plugline.devices.presence import serial_normalize

# "amount/period/per": per client address ("ip") or per serial ("key").
DEVICE_RATE_LIMITS = {
    # The device API: a device asks for a challenge and signs it (proof, status) a few
    # times when it starts, never dozens of times a minute.
    "device_challenge": "60/m/ip,10/m/key",
    "device_signed": "60/m/ip,10/m/key",
    # "Detect device" in the wizard: a challenge, then the proof.
    "activate_challenge": "30/m/ip,10/m/key",
    "activate_proof": "30/m/ip,10/m/key",
    # Serial and label code typed by hand: enough for typing mistakes, far too
    # few to guess an 8-character code.
    "activate_label_code": "20/m/ip,60/h/ip,5/m/key,20/h/key",
}


def rate_limit_consume(request: HttpRequest, *, action: str, serial: str) -> bool:
    """Count one try of `action` about `serial`; False if a limit is reached."""
    usage = consume(
        request,
        app="plugline.devices",
        action=action,
        config=DEVICE_RATE_LIMITS,
        key=serial_normalize(serial).upper(),
        limit_get=True,
    )
    return usage is not None
