"""Business hours: the week's edges, daylight saving time, and settings refused at start."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from plugline.support.hours import support_hours_check, support_hours_parse, support_open_at

ROOT = Path(__file__).resolve().parents[3]
HOURS = "Mon-Fri 08:00-20:00, Sat 09:00-17:00"


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _hours(settings) -> None:
    settings.SUPPORT_HOURS = HOURS
    settings.SUPPORT_TIME_ZONE = "America/New_York"


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        # Winter (EST, UTC-5). Monday 2026-01-05.
        (utc(2026, 1, 5, 12, 59), False),  # Mon 07:59
        (utc(2026, 1, 5, 13, 0), True),  # Mon 08:00
        (utc(2026, 1, 10, 0, 59), True),  # Fri 19:59
        (utc(2026, 1, 10, 1, 0), False),  # Fri 20:00
        (utc(2026, 1, 10, 13, 59), False),  # Sat 08:59
        (utc(2026, 1, 10, 14, 0), True),  # Sat 09:00
        (utc(2026, 1, 10, 21, 59), True),  # Sat 16:59
        (utc(2026, 1, 10, 22, 0), False),  # Sat 17:00
        (utc(2026, 1, 11, 17, 0), False),  # Sun noon
        (utc(2026, 1, 12, 4, 59), False),  # Sun 23:59
    ],
)
def test_it_opens_and_closes_at_the_edges_of_the_week(moment: datetime, open_: bool) -> None:
    assert support_open_at(moment) is open_


def test_it_follows_daylight_saving_time_in_the_support_time_zone() -> None:
    # 12:30 UTC is 07:30 on Friday 6 March (EST) but 08:30 on Monday 9 March (EDT).
    assert support_open_at(utc(2026, 3, 6, 12, 30)) is False
    assert support_open_at(utc(2026, 3, 9, 12, 30)) is True
    # And back in November: 12:30 UTC is 08:30 on Friday 30 October (EDT), 07:30 on
    # Monday 2 November (EST).
    assert support_open_at(utc(2026, 10, 30, 12, 30)) is True
    assert support_open_at(utc(2026, 11, 2, 12, 30)) is False


def test_it_counts_the_hours_of_the_night_the_clocks_change_by_the_local_clock(settings) -> None:
    settings.SUPPORT_HOURS = "Sun 01:00-03:00"
    # Sunday 8 March 2026: 01:30 EST is 06:30 UTC; at 07:00 UTC the clocks jump to 03:00 EDT.
    assert support_open_at(utc(2026, 3, 8, 6, 30)) is True
    assert support_open_at(utc(2026, 3, 8, 7, 30)) is False


def test_it_reads_several_spans_of_a_day_and_midnight() -> None:
    week = support_hours_parse("Mon-Fri 08:00-12:00, Mon-Fri 13:00-17:00, Sun 20:00-24:00")
    assert week[0] == ((480, 720), (780, 1020))
    assert week[5] == ()
    assert week[6] == ((1200, 1440),)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "must list days and hours"),
        ("Mon-Fri 08:00-20:00,", "must list days and hours"),
        ("Monday 08:00-20:00", "must be days and a span"),
        ("Mon-Fri 8:00-20:00", "must be days and a span"),
        ("Mon-Fun 08:00-20:00", "'Fun' in 'Mon-Fun 08:00-20:00' is not a day"),
        ("Fri-Mon 08:00-20:00", "runs backwards"),
        ("Mon 20:00-08:00", "closing time must come after the opening time"),
        ("Mon 08:00-25:00", "'25:00' in 'Mon 08:00-25:00' is not a time of day"),
        ("Mon 08:60-10:00", "is not a time of day"),
        ("Mon-Fri 08:00-12:00, Wed 11:00-14:00", "overlaps other hours of Wed"),
        ("Mon-Fri 08:00-20:00; Sat 09:00-17:00", "must be days and a span"),
    ],
)
def test_it_refuses_hours_it_cannot_read_with_a_message_that_says_why(
    settings, text: str, says: str
) -> None:
    settings.SUPPORT_HOURS = text
    with pytest.raises(ImproperlyConfigured, match="SUPPORT_HOURS") as refused:
        support_hours_check()
    assert says in str(refused.value)


def test_it_refuses_an_unknown_time_zone(settings) -> None:
    settings.SUPPORT_TIME_ZONE = "America/Gotham"
    with pytest.raises(ImproperlyConfigured, match="SUPPORT_TIME_ZONE 'America/Gotham'"):
        support_hours_check()


def test_it_stops_the_processes_at_start_when_the_hours_are_wrong() -> None:
    environment = {**os.environ, "DEBUG": "1", "SUPPORT_HOURS": "Mon-Fri 9-5"}
    started = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "ImproperlyConfigured: SUPPORT_HOURS: 'Mon-Fri 9-5' must be days and a span" in (
        started.stderr
    )
