"""A device's call settings as its owner types them: ring time, do not disturb, forwarding.

Calls are forwarded only to numbers of the United States (its territories included, as
Kamailio's route[CALL] dials them) and Canada until international minutes exist, and never
to the device's own number.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from plugline.core.phones import normalize_phone_number
from plugline.telephony.models import RING_SECONDS_MAX, RING_SECONDS_MIN

# The regions Kamailio sends to the carrier as domestic calls (route[CALL]).
FORWARDING_REGIONS = frozenset({"US", "CA", "PR", "VI", "GU", "AS", "MP"})


@dataclass(frozen=True)
class CallSettingsChoice:
    """What the owner chose; `forward_to` is E.164 ('' for none)."""

    ring_seconds: int
    do_not_disturb: bool
    forward_always: bool
    forward_busy: bool
    forward_no_answer: bool
    forward_unreachable: bool
    forward_to: str

    @property
    def forwards(self) -> bool:
        return (
            self.forward_always
            or self.forward_busy
            or self.forward_no_answer
            or self.forward_unreachable
        )


def forwarding_number_parse(text: str, *, own_number: str) -> str:
    """`text` as the E.164 number to forward calls to; ValidationError if it cannot be."""
    number = normalize_phone_number(text)
    if number is None:
        raise ValidationError(_("Type a phone number, such as (212) 555-0147."), code="invalid")
    region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    if region not in FORWARDING_REGIONS:
        raise ValidationError(
            _("Calls can be forwarded only to numbers in the United States and Canada."),
            code="abroad",
        )
    if number == own_number:
        raise ValidationError(
            _("Calls cannot be forwarded to this device's own number."), code="own_number"
        )
    return number


def ring_seconds_check(value: int) -> int:
    if not RING_SECONDS_MIN <= value <= RING_SECONDS_MAX:
        # RING_SECONDS_MIN and RING_SECONDS_MAX.
        raise ValidationError(_("Choose a ring time from 15 to 40 seconds."), code="ring_seconds")
    return value


def call_settings_choice(
    *,
    own_number: str,
    ring_seconds: int,
    do_not_disturb: bool,
    forward_always: bool,
    forward_busy: bool,
    forward_no_answer: bool,
    forward_unreachable: bool,
    forward_to: str,
) -> CallSettingsChoice:
    """The owner's choice, checked: a ValidationError keyed by field when it is not valid."""
    errors: dict[str, ValidationError] = {}
    try:
        ring_seconds_check(ring_seconds)
    except ValidationError as error:
        errors["ring_seconds"] = error
    number = ""
    if (forward_to or "").strip():
        try:
            number = forwarding_number_parse(forward_to, own_number=own_number)
        except ValidationError as error:
            errors["forward_to"] = error
    elif forward_always or forward_busy or forward_no_answer or forward_unreachable:
        errors["forward_to"] = ValidationError(
            _("Type the number to forward calls to."), code="required"
        )
    if errors:
        raise ValidationError(errors)
    return CallSettingsChoice(
        ring_seconds=ring_seconds,
        do_not_disturb=do_not_disturb,
        forward_always=forward_always,
        forward_busy=forward_busy,
        forward_no_answer=forward_no_answer,
        forward_unreachable=forward_unreachable,
        forward_to=number,
    )
