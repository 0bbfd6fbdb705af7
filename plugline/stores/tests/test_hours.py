"""Opening hours in the OpenStreetMap syntax: read into days and times, or refused with a reason."""

from __future__ import annotations

from datetime import time

import pytest

from plugline.stores.hours import HoursError, hours_by_day, hours_parse


def test_it_reads_weekday_ranges_lists_several_spans_and_closed_days():
    assert hours_parse("Mo-Fr 08:00-21:00; Sa 09:00-18:00; Su off") == [
        ((0, 1, 2, 3, 4), [(time(8), time(21))]),
        ((5,), [(time(9), time(18))]),
        ((6,), []),
    ]
    assert hours_parse("Mo, We,Fr 09:00-12:00, 13:00-17:30") == [
        ((0, 2, 4), [(time(9), time(12)), (time(13), time(17, 30))])
    ]
    assert hours_parse("Sa-Mo 10:00-24:00") == [((0, 5, 6), [(time(10), time(0))])]
    assert hours_parse("24/7") == [((0, 1, 2, 3, 4, 5, 6), [(time(0), time(0))])]
    assert hours_parse("  ") == []


def test_it_gives_each_day_its_hours_with_later_rules_winning():
    week = hours_by_day("Mo-Su 08:00-20:00; Su closed; We 22:00-02:00")
    assert week[0] == week[5] == [(time(8), time(20))]
    assert week[2] == [(time(22), time(2))]
    assert week[6] == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Mo-Fr", "gives days without times"),
        ("Xx 10:00-11:00", "'Xx' is not a day"),
        ("Mo 25:00-26:00", "'25:00' is not a time like 08:00"),
        ("Mo 8-17", "'8' is not a time"),
        ("Mo 08:00", "is not a time range like 08:00-21:00"),
        ("Mo off; PH off", "'PH' is not a day"),
        ("08:00-21:00", "does not start with days"),
        ("Mo " + "08:00-09:00," * 20, "at most 200 characters"),
    ],
)
def test_it_refuses_hours_it_cannot_read_and_says_why(text, reason):
    with pytest.raises(HoursError, match=reason):
        hours_parse(text)
