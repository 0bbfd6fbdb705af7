"""Phone numbers: E.164 in storage, any common format on input."""

from __future__ import annotations

import phonenumbers
from django.conf import settings


def normalize_phone_number(text: str, *, region: str | None = None) -> str | None:
    """Return `text` as an E.164 number ("+12125550147"), or None if it is not one.

    Accepts "(212) 555-0147", "212-555-0147", "2125550147", "+1 212 555 0147"
    and other common ways of writing a number; numbers without a country code
    are read in `region` (DEFAULT_PHONE_REGION by default).
    """
    text = (text or "").strip()
    if not text or "@" in text or len(text) > 40:
        return None
    if not any(ch.isdigit() for ch in text):
        return None
    try:
        number = phonenumbers.parse(text, region or settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone_number(e164: str) -> str:
    """A number for display: national format at home, international abroad."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    # Within one numbering plan (the US and Canada share +1) the national
    # form is what people write: "(416) 555-0148".
    if number.country_code == phonenumbers.country_code_for_region(settings.DEFAULT_PHONE_REGION):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
