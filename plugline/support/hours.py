"""Business hours of the support team: when live chat has agents, and when it becomes a form.

`SUPPORT_HOURS` lists, separated by commas, days and one span of time each,
in `SUPPORT_TIME_ZONE` (an IANA name such as America/New_York):

    Mon-Fri 08:00-20:00, Sat 09:00-17:00
    Mon-Fri 08:00-12:00, Mon-Fri 13:00-17:00, Sun 10:00-14:00

Days are Mon Tue Wed Thu Fri Sat Sun, alone or as a range ("Mon-Fri"); a span
ends after it starts on the same day ("24:00" is midnight at its end); two
spans of one day may not overlap. Days not named are closed. Anything else is
refused when the processes start (ImproperlyConfigured), never guessed.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RULE = re.compile(
    r"(?P<first>[A-Za-z]{3})(?:-(?P<last>[A-Za-z]{3}))?\s+"
    r"(?P<opens>\d\d:\d\d)-(?P<closes>\d\d:\d\d)"
)
# Minutes since midnight: [opens, closes), closes at most 24 * 60.
Span = tuple[int, int]
Week = tuple[tuple[Span, ...], ...]


def _minutes(text: str, *, rule: str) -> int:
    hours, minutes = int(text[:2]), int(text[3:])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ImproperlyConfigured(f"SUPPORT_HOURS: {text!r} in {rule!r} is not a time of day")
    return hours * 60 + minutes


def _day(text: str, *, rule: str) -> int:
    try:
        return DAYS.index(text.lower())
    except ValueError:
        raise ImproperlyConfigured(
            f"SUPPORT_HOURS: {text!r} in {rule!r} is not a day (Mon Tue Wed Thu Fri Sat Sun)"
        ) from None


@lru_cache(maxsize=8)
def support_hours_parse(text: str) -> Week:
    """The spans of each day from Monday to Sunday; raises ImproperlyConfigured."""
    week: list[list[Span]] = [[] for _ in DAYS]
    rules = [rule.strip() for rule in text.split(",")]
    if not text.strip() or not all(rules):
        raise ImproperlyConfigured(
            f"SUPPORT_HOURS {text!r} must list days and hours separated by commas, "
            "e.g. 'Mon-Fri 08:00-20:00, Sat 09:00-17:00'"
        )
    for rule in rules:
        match = _RULE.fullmatch(rule)
        if match is None:
            raise ImproperlyConfigured(
                f"SUPPORT_HOURS: {rule!r} must be days and a span, e.g. 'Mon-Fri 08:00-20:00'"
            )
        first = _day(match["first"], rule=rule)
        last = _day(match["last"], rule=rule) if match["last"] else first
        if last < first:
            raise ImproperlyConfigured(
                f"SUPPORT_HOURS: {rule!r} runs backwards; write the days from Monday to Sunday"
            )
        opens = _minutes(match["opens"], rule=rule)
        closes = _minutes(match["closes"], rule=rule)
        if closes <= opens:
            raise ImproperlyConfigured(
                f"SUPPORT_HOURS: in {rule!r} the closing time must come after the opening time"
            )
        for day in range(first, last + 1):
            for other_opens, other_closes in week[day]:
                if opens < other_closes and other_opens < closes:
                    raise ImproperlyConfigured(
                        f"SUPPORT_HOURS: {rule!r} overlaps other hours of {DAYS[day].title()}"
                    )
            week[day].append((opens, closes))
    return tuple(tuple(sorted(spans)) for spans in week)


def support_time_zone() -> ZoneInfo:
    name = settings.SUPPORT_TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"SUPPORT_TIME_ZONE {name!r} is not a time zone name, e.g. America/New_York"
        ) from None


def support_hours_check() -> None:
    """Raise ImproperlyConfigured if the settings cannot be read."""
    support_hours_parse(settings.SUPPORT_HOURS)
    support_time_zone()


def support_open_at(moment: datetime) -> bool:
    """Whether support is open at `moment` (an aware datetime), in the support's time zone."""
    if timezone.is_naive(moment):
        raise ValueError("support_open_at needs an aware datetime")
    local = moment.astimezone(support_time_zone())
    minute = local.hour * 60 + local.minute
    spans = support_hours_parse(settings.SUPPORT_HOURS)[local.weekday()]
    return any(opens <= minute < closes for opens, closes in spans)


def support_open_now() -> bool:
    return support_open_at(timezone.now())
