"""Re-Up PINs: made by a cryptographic generator, kept only as a keyed hash.

The key is settings.REUP_PIN_KEY (derived from SECRET_KEY when empty), so a
copy of the database alone does not let anyone try the 10^16 PINs offline.
PINs hashed under a previous key (REUP_PIN_KEY_FALLBACKS) still redeem.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

PIN_DIGITS = 16
_SEPARATORS = str.maketrans("", "", " -\u00a0\u2010\u2011\u2012\u2013\u2014\t")


def pin_generate() -> str:
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def pin_normalize(raw: str) -> str | None:
    """The PIN's 16 digits, spaces and dashes ignored; None if it cannot be a PIN."""
    pin = raw.translate(_SEPARATORS)
    if len(pin) != PIN_DIGITS or not pin.isascii() or not pin.isdigit():
        return None
    return pin


def pin_display(pin: str) -> str:
    """As printed on the card: four groups of four digits."""
    return " ".join(pin[i : i + 4] for i in range(0, len(pin), 4))


def _keys() -> list[bytes]:
    if settings.REUP_PIN_KEY:
        keys = [settings.REUP_PIN_KEY, *settings.REUP_PIN_KEY_FALLBACKS]
        return [key.encode() for key in keys]
    secrets_ = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return [
        salted_hmac("plugline.reup.pin-key", "", secret=secret, algorithm="sha256").digest()
        for secret in secrets_
    ]


def pin_hash(pin: str) -> str:
    """The hash stored for a (normalized) PIN, under the current key."""
    return hmac.new(_keys()[0], pin.encode(), hashlib.sha256).hexdigest()


def pin_hashes(pin: str) -> list[str]:
    """The PIN's hash under the current key and each fallback: what a lookup matches."""
    return [hmac.new(key, pin.encode(), hashlib.sha256).hexdigest() for key in _keys()]
