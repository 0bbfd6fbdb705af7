"""SIP credentials: a password the device can fetch again, and the digest hashes Kamailio checks.

A device's SIP password is never stored. It is derived, when asked for, as
HMAC-SHA-256 of settings.SIP_PASSWORD_KEY (one derived from SECRET_KEY when
that is empty) over the device's serial and the account's generation, written
in base32. Plugline stores only HA1 and HA1b, the MD5 digests of RFC 2617
that Kamailio's auth_db compares against (`calculate_ha1` 0): a copy of the
database lets nobody register as a device. Rotating the credentials bumps the
generation, so the old password stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings
from django.utils.crypto import salted_hmac


def _password_key() -> bytes:
    if settings.SIP_PASSWORD_KEY:
        return str(settings.SIP_PASSWORD_KEY).encode()
    return salted_hmac("plugline.telephony.sip-password-key", "", algorithm="sha256").digest()


def sip_password(*, serial: str, generation: int) -> str:
    """The device's SIP password for this generation of its credentials (52 characters)."""
    digest = hmac.new(_password_key(), f"{serial}:{generation}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def sip_username(e164: str) -> str:
    """The SIP user of a number: its E.164 digits without '+' (12125550147)."""
    return e164.lstrip("+")


def digest_ha1(*, username: str, domain: str, password: str) -> str:
    """HA1 = MD5(username:realm:password) (RFC 2617), the realm being the SIP domain."""
    # MD5 is what SIP digest authentication is defined with, not our choice.
    return hashlib.md5(
        f"{username}:{domain}:{password}".encode(), usedforsecurity=False
    ).hexdigest()


def digest_ha1b(*, username: str, domain: str, password: str) -> str:
    """HA1b = MD5(username@domain:realm:password), for UAs that send user@domain as user."""
    return hashlib.md5(
        f"{username}@{domain}:{domain}:{password}".encode(), usedforsecurity=False
    ).hexdigest()


def sip_ephemeral_credentials(*, username: str, expires_at: int, secret: str) -> tuple[str, str]:
    """The browser softphone's credentials for SIP user `username` until `expires_at` (Unix
    seconds), as Kamailio's auth_ephemeral checks them (username_format 1, SHA-1): the user
    "<expires_at>:<username>" and the password base64(HMAC-SHA1(secret, that user)). Kamailio
    needs only the shared secret to check them; they stop working at `expires_at`."""
    if not secret:
        raise ValueError("SIP_EPHEMERAL_SECRET is not set")
    user = f"{expires_at}:{username}"
    # SHA-1 is auth_ephemeral's default HMAC, the one Kamailio checks.
    digest = hmac.new(secret.encode(), user.encode(), hashlib.sha1).digest()
    return user, base64.b64encode(digest).decode("ascii")
