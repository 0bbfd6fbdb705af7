"""The secrets that tie a device to Plugline: its key, its label code, its signatures.

The device key is an Ed25519 private key (32 random bytes, written as
url-safe base64 without padding) made in the factory and kept inside the
device. Plugline keeps only the public key derived from it: a database leak
does not let anyone sign as a device. The device proves it is present by
signing a one-time challenge from the server ("plugline-presence:" + the
challenge), and the server checks the signature with the public key.

The code printed on the label is short (8 characters), so it is not a secret
on its own: it is stored as a keyed hash and only ever compared together with
the serial, under rate limits.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.utils.crypto import salted_hmac

# What a device signs is the challenge with this prefix, so that a signature
# made for presence can never be taken for anything else.
PRESENCE_PREFIX = b"plugline-presence:"
# Label codes use letters and digits that cannot be confused when read aloud
# or from a small label (no 0/O, 1/I/L).
LABEL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LABEL_CODE_LENGTH = 8


class BadDeviceKey(ValueError):
    pass


def b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    text = text.strip()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise BadDeviceKey("not base64") from error


def device_key_generate() -> str:
    """A new device key, as the factory makes one (for demo data and tests)."""
    return b64encode(secrets.token_bytes(32))


def public_key_from_device_key(device_key: str) -> str:
    """The public key Plugline stores for a device key (raises BadDeviceKey)."""
    raw = b64decode(device_key)
    if len(raw) != 32:
        raise BadDeviceKey("a device key is 32 bytes")
    private = Ed25519PrivateKey.from_private_bytes(raw)
    return b64encode(private.public_key().public_bytes_raw())


def presence_sign(*, device_key: str, challenge: str) -> str:
    """What the device does with a challenge (the agent's side)."""
    private = Ed25519PrivateKey.from_private_bytes(b64decode(device_key))
    return b64encode(private.sign(PRESENCE_PREFIX + challenge.encode("ascii")))


def presence_signature_is_valid(*, public_key: str, challenge: str, signature: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(b64decode(public_key))
        key.verify(b64decode(signature), PRESENCE_PREFIX + challenge.encode("ascii"))
    except (BadDeviceKey, InvalidSignature, ValueError, UnicodeEncodeError):
        return False
    return True


def label_code_generate() -> str:
    return "".join(secrets.choice(LABEL_ALPHABET) for _ in range(LABEL_CODE_LENGTH))


def label_code_normalize(code: str) -> str:
    """What a person typed, as printed: capitals, no spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def label_code_hash(*, serial: str, code: str, secret: str | None = None) -> str:
    """Keyed with SECRET_KEY (or `secret`); see label_code_matches for rotation."""
    return salted_hmac(
        "plugline.devices.label_code",
        f"{serial}:{label_code_normalize(code)}",
        secret=secret,
        algorithm="sha256",
    ).hexdigest()


def label_code_matches(*, serial: str, code: str, stored_hash: str) -> bool:
    """Whether `code` is the label's; hashes made before SECRET_KEY was rotated still
    match through SECRET_KEY_FALLBACKS."""
    if not stored_hash:
        return False
    return any(
        hmac.compare_digest(label_code_hash(serial=serial, code=code, secret=secret), stored_hash)
        for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    )


def token_hash(token: str) -> str:
    """The SHA-256 of a random one-time token (challenges, transfer links)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
