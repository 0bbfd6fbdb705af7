"""The rate of a number, and what a call costs at that rate.

- `rate_for_number`: the rate of a number's longest matching prefix among
  the rates valid at a moment (for each prefix, the one with the latest
  `valid_from` not after it), in one query on the (prefix, valid_from) index.
- Numbers starting with 1 (the US and Canada: the North American Numbering
  Plan) are free: never rated, never charged (`number_is_free`).
- `rates_for_numbers`: the same for many (number, moment) pairs at once, in one
  query whatever their number (the rating job's batches).
- `call_cost`: the connection fee plus the minutes billed, the seconds
  rounded up to the rate's increments (the first one, then the next ones).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import phonenumbers
from django.db.models.functions import Length
from django.utils import timezone

from plugline.rates.models import PREFIX_MAX_LENGTH, Rate

# Calls to numbers starting with this country code are free (the US and Canada).
FREE_COUNTRY_CODE = "1"
DIGITS = re.compile(r"[0-9]+")
NON_GEOGRAPHIC = phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY


def number_is_free(number: str) -> bool:
    """Whether a call to `number` (E.164, with or without "+") is free: the US and Canada."""
    return number.removeprefix("+").startswith(FREE_COUNTRY_CODE)


def rate_for_number(number: str, *, at: dt.datetime | None = None) -> Rate | None:
    """The rate of `number` (E.164, with or without "+") at `at` (now by default).

    The rate of its longest prefix in the deck, as valid at `at`; None for
    a free number (see `number_is_free`), one that is not digits, or one no
    prefix of the deck matches.
    """
    digits = number.removeprefix("+")
    if not DIGITS.fullmatch(digits) or number_is_free(digits):
        return None
    at = at or timezone.now()
    candidates = [digits[:length] for length in range(1, min(len(digits), PREFIX_MAX_LENGTH) + 1)]
    return (
        Rate.objects.filter(prefix__in=candidates, valid_from__lte=at)
        .order_by(Length("prefix").desc(), "-valid_from")
        .first()
    )


def _number_prefixes(number: str) -> list[str]:
    """The prefixes a number's rate may have, longest first ([] for a free or bad number)."""
    digits = number.removeprefix("+")
    if not DIGITS.fullmatch(digits) or number_is_free(digits):
        return []
    return [digits[:length] for length in range(min(len(digits), PREFIX_MAX_LENGTH), 0, -1)]


def rates_for_numbers(calls: Sequence[tuple[str, dt.datetime]]) -> list[Rate | None]:
    """The rate of each (number, moment) as `rate_for_number` answers it, in one query: the
    rates of every prefix of the numbers valid at the latest moment, chosen in memory."""
    prefixes = [_number_prefixes(number) for number, _at in calls]
    wanted = {prefix for number_prefixes in prefixes for prefix in number_prefixes}
    if not wanted:
        return [None] * len(calls)
    latest = max(at for _number, at in calls)
    by_prefix: dict[str, list[Rate]] = {}
    for rate in Rate.objects.filter(prefix__in=wanted, valid_from__lte=latest).order_by(
        "prefix", "-valid_from"
    ):
        by_prefix.setdefault(rate.prefix, []).append(rate)
    found: list[Rate | None] = []
    for number_prefixes, (_number, at) in zip(prefixes, calls, strict=True):
        found.append(
            next(
                (
                    rate
                    for prefix in number_prefixes
                    for rate in by_prefix.get(prefix, ())
                    if rate.valid_from <= at
                ),
                None,
            )
        )
    return found


def billed_seconds(rate: Rate, seconds: int) -> int:
    """The seconds a call of `seconds` is billed for: the first increment, then the next ones."""
    if seconds <= 0:
        return 0
    if seconds <= rate.first_increment:
        return rate.first_increment
    rest = seconds - rate.first_increment
    steps = -(-rest // rate.next_increment)
    return rate.first_increment + steps * rate.next_increment


def call_cost(rate: Rate, seconds: int) -> int:
    """What a call of `seconds` costs at `rate`, in its minor units (rounded up to one).

    A call that lasted 0 seconds (never answered) costs nothing, connection fee included.
    """
    billed = billed_seconds(rate, seconds)
    if billed == 0:
        return 0
    return rate.connection_fee + -(-rate.price_per_minute * billed // 60)


def prefix_country(prefix: str) -> str:
    """The country (ISO 3166-1 alpha-2) that numbers starting with `prefix` are in, or "".

    The country code's own country, or, when a code is shared (+44: the
    United Kingdom, Guernsey, Jersey, the Isle of Man), the one whose
    leading digits the rest of the prefix starts with ("447624": the Isle of Man).
    """
    for length in range(1, 4):
        code = prefix[:length]
        if not code.isdigit():
            return ""
        # "001": a code of no country (+800 freephone, +882 satellite networks...).
        regions = [
            region
            for region in phonenumbers.region_codes_for_country_code(int(code))
            if region != NON_GEOGRAPHIC
        ]
        if not regions:
            if phonenumbers.region_codes_for_country_code(int(code)):
                return ""
            continue
        rest = prefix[length:]
        if rest:
            for region in regions:
                metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
                leading = metadata.leading_digits if metadata else None
                if leading and re.match(f"(?:{leading})", rest):
                    return region
        main = phonenumbers.region_code_for_country_code(int(code))
        return main if main in regions else regions[0]
    return ""
