"""Period arithmetic: month lengths, leap years, renewals, status from the dates."""

from __future__ import annotations

import datetime as dt

import pytest

from plugline.billing.periods import (
    CardExpiry,
    SubscriptionStatus,
    add_months,
    card_expires_at,
    card_expiry,
    period_end,
    recently_expired,
    renewal_start,
    subscription_status,
)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, us, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (utc(2026, 1, 15, 9, 30), 1, utc(2026, 2, 15, 9, 30)),
        (utc(2026, 1, 31), 1, utc(2026, 2, 28)),
        (utc(2028, 1, 31), 1, utc(2028, 2, 29)),
        (utc(2026, 3, 31), 1, utc(2026, 4, 30)),
        (utc(2026, 5, 31), 1, utc(2026, 6, 30)),
        (utc(2026, 8, 31), 1, utc(2026, 9, 30)),
        (utc(2026, 10, 31), 1, utc(2026, 11, 30)),
        (utc(2026, 12, 31), 1, utc(2027, 1, 31)),
        (utc(2026, 12, 15), 1, utc(2027, 1, 15)),
        (utc(2026, 11, 30), 3, utc(2027, 2, 28)),
        (utc(2026, 6, 1), 12, utc(2027, 6, 1)),
        (utc(2026, 6, 1), 60, utc(2031, 6, 1)),
        (utc(2026, 6, 1), 25, utc(2028, 7, 1)),
        (utc(2026, 1, 1), 11, utc(2026, 12, 1)),
        (utc(2026, 1, 1), 12, utc(2027, 1, 1)),
        (utc(2026, 1, 1), 13, utc(2027, 2, 1)),
        (utc(2026, 7, 4), 0, utc(2026, 7, 4)),
    ],
)
def test_it_adds_calendar_months_clamping_to_the_months_last_day(start, months, end):
    assert add_months(start, months) == end


def test_it_takes_a_leap_day_to_the_28th_in_a_common_year_and_back_in_a_leap_year():
    leap_day = utc(2028, 2, 29, 18, 45)
    assert add_months(leap_day, 12) == utc(2029, 2, 28, 18, 45)
    assert add_months(leap_day, 48) == utc(2032, 2, 29, 18, 45)
    # Centuries: 2100 is not a leap year, 2000 was.
    assert add_months(utc(2099, 1, 29), 1) == utc(2099, 2, 28)
    assert add_months(utc(2100, 1, 29), 1) == utc(2100, 2, 28)
    assert add_months(utc(2000, 1, 29), 1) == utc(2000, 2, 29)


def test_it_keeps_the_time_of_day_to_the_microsecond():
    start = utc(2026, 3, 31, 23, 59, 59, 999999)
    assert add_months(start, 1) == utc(2026, 4, 30, 23, 59, 59, 999999)
    assert add_months(start, 1).tzinfo is dt.UTC


def test_it_refuses_naive_datetimes_and_negative_months():
    with pytest.raises(ValueError, match="aware"):
        add_months(dt.datetime(2026, 1, 1), 1)  # noqa: DTZ001
    with pytest.raises(ValueError, match="negative"):
        add_months(utc(2026, 1, 1), -1)


def test_it_makes_periods_of_at_least_one_month():
    assert period_end(utc(2026, 1, 31, 12), 12) == utc(2027, 1, 31, 12)
    assert period_end(utc(2026, 1, 31, 12), 1) == utc(2026, 2, 28, 12)
    with pytest.raises(ValueError):
        period_end(utc(2026, 1, 31), 0)


def test_it_renews_from_the_end_date_while_the_service_runs():
    now = utc(2026, 11, 29, 12)
    assert renewal_start(utc(2026, 12, 19, 8), now) == utc(2026, 12, 19, 8)


def test_it_renews_from_the_end_date_during_the_grace_days():
    now = utc(2026, 11, 29, 12)
    ended = utc(2026, 11, 26, 12)  # 3 days ago, within 7 grace days
    assert renewal_start(ended, now, grace_days=7) == ended
    assert renewal_start(utc(2026, 11, 22, 11), now, grace_days=7) == now  # 7 days and 1 hour


def test_it_renews_from_now_once_the_service_has_ended_or_never_began():
    now = utc(2026, 11, 29, 12)
    assert renewal_start(utc(2026, 11, 1), now) == now
    assert renewal_start(now, now) == now
    assert renewal_start(None, now) == now


@pytest.mark.parametrize(
    ("ends_at", "trial_ends_at", "status"),
    [
        (utc(2026, 12, 1), None, SubscriptionStatus.ACTIVE),
        (utc(2026, 11, 29, 12, 0, 1), None, SubscriptionStatus.ACTIVE),
        (utc(2026, 11, 29, 12), None, SubscriptionStatus.GRACE),
        (utc(2026, 11, 23), None, SubscriptionStatus.GRACE),
        (utc(2026, 11, 22, 12, 0, 1), None, SubscriptionStatus.GRACE),
        (utc(2026, 11, 22, 12), None, SubscriptionStatus.EXPIRED),
        (utc(2025, 1, 1), None, SubscriptionStatus.EXPIRED),
        (None, None, SubscriptionStatus.EXPIRED),
        # A trial running.
        (utc(2026, 12, 20), utc(2026, 12, 20), SubscriptionStatus.TRIAL),
        (None, utc(2026, 12, 20), SubscriptionStatus.TRIAL),
        # A trial that converted to a paid period that ends later.
        (utc(2027, 12, 20), utc(2026, 12, 20), SubscriptionStatus.ACTIVE),
        # A trial that ended without converting.
        (utc(2026, 11, 25), utc(2026, 11, 25), SubscriptionStatus.GRACE),
        (utc(2026, 10, 1), utc(2026, 10, 1), SubscriptionStatus.EXPIRED),
    ],
)
def test_it_derives_the_status_from_the_dates(ends_at, trial_ends_at, status):
    now = utc(2026, 11, 29, 12)
    assert subscription_status(ends_at, trial_ends_at, now, grace_days=7) is status


def test_it_has_no_grace_when_grace_days_is_zero():
    now = utc(2026, 11, 29, 12)
    assert subscription_status(now, None, now, grace_days=0) is SubscriptionStatus.EXPIRED


def test_it_offers_reactivation_only_after_the_grace_and_for_ninety_days():
    now = utc(2026, 11, 29, 12)
    assert not recently_expired(utc(2026, 12, 1), now, grace_days=7)  # active
    assert not recently_expired(utc(2026, 11, 25), now, grace_days=7)  # in grace
    assert recently_expired(utc(2026, 11, 20), now, grace_days=7)
    assert recently_expired(now - dt.timedelta(days=89, hours=23), now, grace_days=7)
    assert not recently_expired(now - dt.timedelta(days=90), now, grace_days=7)
    assert not recently_expired(None, now, grace_days=7)


def test_it_says_a_card_works_until_the_end_of_its_expiry_month():
    assert card_expires_at(12, 2026) == utc(2027, 1, 1)
    assert card_expires_at(2, 2028) == utc(2028, 3, 1)
    assert card_expiry(11, 2026, utc(2026, 11, 30, 23, 59)) is CardExpiry.EXPIRES_SOON
    assert card_expiry(11, 2026, utc(2026, 12, 1)) is CardExpiry.EXPIRED
    # Soon: it stops working within 60 days.
    assert card_expiry(12, 2026, utc(2026, 11, 29)) is CardExpiry.EXPIRES_SOON
    assert card_expiry(1, 2027, utc(2026, 12, 3)) is CardExpiry.EXPIRES_SOON
    assert card_expiry(1, 2027, utc(2026, 11, 29)) is CardExpiry.VALID
    with pytest.raises(ValueError):
        card_expires_at(13, 2026)
