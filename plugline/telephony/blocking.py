"""What a subscriber types to block a caller: a number in any common format, or the start of
numbers (a prefix such as +1900 or 1-900), read as E.164."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from plugline.core.phones import format_phone_number, normalize_phone_number

# A prefix: digits, maybe a '+' first, with the usual separators between them.
_PREFIX = re.compile(r"\+?[0-9][0-9 .()\-]*")
# At least the country code and two more digits: "+1" alone would block a whole country.
PREFIX_MIN_DIGITS = 3
MAX_BLOCKED_PER_DEVICE = 200


@dataclass(frozen=True)
class BlockedEntry:
    e164: str
    is_prefix: bool

    @property
    def display(self) -> str:
        if self.is_prefix:
            return f"{self.e164}…"
        return format_phone_number(self.e164)


def blocked_entries_match(number: str, entries: Sequence[BlockedEntry]) -> bool:
    """Whether these entries block a caller with this E.164 number, as Kamailio decides
    (route[BLOCKED_CALLERS]): the number itself, or a prefix it starts with."""
    if not number.startswith("+"):
        return False
    return any(
        number.startswith(entry.e164) if entry.is_prefix else number == entry.e164
        for entry in entries
    )


def blocked_entry_parse(text: str) -> BlockedEntry:
    """`text` as a number to block, or else as the start of numbers to block."""
    text = (text or "").strip()
    number = normalize_phone_number(text)
    if number is not None:
        return BlockedEntry(e164=number, is_prefix=False)
    if not _PREFIX.fullmatch(text):
        raise ValidationError(
            _(
                "Type a phone number, such as (212) 555-0147, or the start of the numbers "
                "to block, such as 1-900."
            ),
            code="invalid",
        )
    digits = re.sub(r"[^0-9]", "", text)
    if not text.startswith("+"):
        # Written without '+': numbers of the home country, its code first or not (1-900, 900).
        country = str(phonenumbers.country_code_for_region(settings.DEFAULT_PHONE_REGION))
        if not digits.startswith(country):
            digits = country + digits
    if len(digits) < PREFIX_MIN_DIGITS:
        raise ValidationError(
            _(
                "Type at least %(count)d digits, the country code included: fewer would block "
                "too many callers."
            ),
            code="too_short",
            params={"count": PREFIX_MIN_DIGITS},
        )
    if len(digits) > 15 or digits.startswith("0"):
        raise ValidationError(
            _(
                "Type a phone number, such as (212) 555-0147, or the start of the numbers "
                "to block, such as 1-900."
            ),
            code="invalid",
        )
    return BlockedEntry(e164="+" + digits, is_prefix=True)
