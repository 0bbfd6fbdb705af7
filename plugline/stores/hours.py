"""Store opening hours in (a small part of) OpenStreetMap's `opening_hours` syntax.

    Mo-Fr 08:00-21:00; Sa 09:00-18:00; Su off
    Mo,We,Fr 09:00-12:00,13:00-17:00; Tu,Th 10:00-19:00
    24/7

Rules are separated by ";"; each names days (Mo Tu We Th Fr Sa Su, as
ranges "Mo-Fr", lists "Mo,We" or both) and then times ("08:00-21:00",
several separated by ","; "24:00" closes at midnight, a closing time
before the opening time is past midnight) or "off"/"closed". A later rule
replaces an earlier one for its days, as in OpenStreetMap. Holidays,
months and weeks are not supported: the import rejects them.

Day indexes are 0 for Monday to 6 for Sunday (like `date.weekday()`), so a
page can show them with its language's day names.
"""

from __future__ import annotations

import re
from datetime import time

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
TEXT_MAX_LENGTH = 200
_DAY_INDEX = {day.lower(): index for index, day in enumerate(DAYS)}
_TIME = re.compile(r"([01]\d|2[0-4]):([0-5]\d)")
_EVERY_DAY = tuple(range(7))
_RULE = re.compile(r"(?P<days>[A-Za-z]+(?:\s*[-,]\s*[A-Za-z]+)*)(?:\s+(?P<times>.*))?")

# (open, close): close < open ends after midnight, close == open is the whole day;
# 24:00 is time(0, 0).
Span = tuple[time, time]
Rule = tuple[tuple[int, ...], list[Span]]


class HoursError(ValueError):
    """Opening hours that cannot be read; the message says why, in plain English."""


def hours_parse(text: str) -> list[Rule]:
    """The rules of `text` in order: (day indexes, spans); no spans means closed.

    "" gives []: the hours are not known. Raises HoursError.
    """
    text = text.strip()
    if not text:
        return []
    if len(text) > TEXT_MAX_LENGTH:
        raise HoursError(f"opening hours have at most {TEXT_MAX_LENGTH} characters")
    if text == "24/7":
        return [(_EVERY_DAY, [(time(0, 0), time(0, 0))])]
    rules = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        match = _RULE.fullmatch(part)
        if match is None:
            raise HoursError(
                f"{part!r} does not start with days (e.g. Mo-Fr 08:00-21:00, or Su off)"
            )
        days = _days(match.group("days").replace(" ", ""))
        rules.append((days, _spans(match.group("times"), rule=part)))
    if not rules:
        raise HoursError("opening hours name no days")
    return rules


def hours_by_day(text: str) -> list[list[Span]]:
    """For each day from Monday to Sunday, its spans ([] when closed or not said)."""
    week: list[list[Span]] = [[] for _ in DAYS]
    for days, spans in hours_parse(text):
        for day in days:
            week[day] = list(spans)
    return week


def _days(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for item in text.split(","):
        first, dash, last = item.partition("-")
        start = _day(first)
        if dash:
            end = _day(last)
            span = range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)]
            days.extend(span)
        else:
            days.append(start)
    return tuple(sorted(set(days)))


def _day(text: str) -> int:
    index = _DAY_INDEX.get(text.strip().lower())
    if index is None:
        raise HoursError(
            f"{text.strip()!r} is not a day: write days as {' '.join(DAYS)} "
            "(e.g. Mo-Fr 08:00-21:00)"
        )
    return index


def _spans(text: str | None, *, rule: str) -> list[Span]:
    text = (text or "").strip()
    if text.lower() in ("off", "closed"):
        return []
    if not text:
        raise HoursError(f"{rule!r} gives days without times (e.g. Mo-Fr 08:00-21:00, or Su off)")
    spans = []
    for item in text.replace(" ", "").split(","):
        opens, dash, closes = item.partition("-")
        if not dash:
            raise HoursError(f"{item!r} is not a time range like 08:00-21:00")
        spans.append((_time(opens), _time(closes)))
    return spans


def _time(text: str) -> time:
    match = _TIME.fullmatch(text)
    if match is None:
        raise HoursError(f"{text!r} is not a time like 08:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour == 24:
        if minute:
            raise HoursError(f"{text!r} is not a time like 08:00")
        return time(0, 0)
    return time(hour, minute)
