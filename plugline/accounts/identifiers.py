"""What a person types to say who they are: an email, or a device's phone number.

Phone numbers belong to devices, an app above this one. It registers a
lookup here (`register_phone_number_lookup`) instead of being imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q

from plugline.accounts.models import User
from plugline.core.phones import normalize_phone_number

PhoneNumberLookup = Callable[[str], int | None]
_phone_number_lookups: list[PhoneNumberLookup] = []


def register_phone_number_lookup(lookup: PhoneNumberLookup) -> None:
    """`lookup(e164)` returns the id of the account whose device has that number."""
    if lookup not in _phone_number_lookups:
        _phone_number_lookups.append(lookup)


@dataclass(frozen=True)
class Identifier:
    kind: Literal["email", "phone", "other"]
    # Normalised: lower-case email, E.164 number; empty for "other", which
    # may be anything (even a password typed in the wrong field).
    value: str


def parse_identifier(text: str) -> Identifier:
    text = (text or "").strip()
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError:
            return Identifier("other", "")
        return Identifier("email", text.lower())
    e164 = normalize_phone_number(text)
    if e164:
        return Identifier("phone", e164)
    return Identifier("other", "")


def user_for_identifier(identifier: Identifier) -> User | None:
    """The active account an identifier names, or None."""
    if identifier.kind == "email":
        verified = EmailAddress.objects.filter(
            email__iexact=identifier.value, verified=True
        ).values("user_id")
        return (
            User.objects.filter(is_active=True)
            .filter(Q(email__iexact=identifier.value) | Q(pk__in=verified))
            .first()
        )
    if identifier.kind == "phone":
        for lookup in _phone_number_lookups:
            user_id = lookup(identifier.value)
            if user_id is not None:
                return User.objects.filter(pk=user_id, is_active=True).first()
    return None
