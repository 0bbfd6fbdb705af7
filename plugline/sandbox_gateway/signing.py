"""The webhook signature shared by the sandbox (signing) and Plugline (verifying).

Like Stripe's: header "t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<body>'>"
with the webhook secret (settings.SANDBOX_WEBHOOK_SECRET, or one derived from
SECRET_KEY when that is empty).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.utils.crypto import salted_hmac

SIGNATURE_HEADER = "Sandbox-Signature"


def webhook_secret() -> bytes:
    configured: str = settings.SANDBOX_WEBHOOK_SECRET
    if configured:
        return configured.encode()
    return (
        salted_hmac("plugline.sandbox_gateway.webhook", "secret", algorithm="sha256")
        .hexdigest()
        .encode()
    )


def signature_of(*, payload: bytes, timestamp: int) -> str:
    return hmac.new(
        webhook_secret(), str(timestamp).encode() + b"." + payload, hashlib.sha256
    ).hexdigest()


def signature_header(*, payload: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature_of(payload=payload, timestamp=timestamp)}"


def signature_check(*, payload: bytes, header: str, tolerance_seconds: int, now: float) -> None:
    """Raises ValueError unless `header` signs `payload` recently enough."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise ValueError("no timestamp in the signature header") from None
    if abs(now - timestamp) > tolerance_seconds:
        raise ValueError("the signature is too old (or from the future)")
    expected = signature_of(payload=payload, timestamp=timestamp)
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise ValueError("the signature does not match")
