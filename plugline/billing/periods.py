"""Period arithmetic: pure functions on aware UTC datetimes, no database.

A period of N months ends on the same day of the month N months later, at
the same time of day; a day that the target month lacks becomes its last
day (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year). A renewal
extends from the current end date, or from now if the service has already
ended. The status of a subscription is derived from its dates.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum

# A device that expired less than this long ago is offered "Reactivate"
# rather than "Renew" (its number is still held for it).
REACTIVATE_DAYS = 90
# A card "expires soon" when it stops working within this many days.
CARD_EXPIRES_SOON_DAYS = 60


class SubscriptionStatus(enum.StrEnum):
    TRIAL = "trial"
    ACTIVE = "active"
    # Ended, but the device is not cut off yet: AutoRenew may still retry.
    GRACE = "grace"
    EXPIRED = "expired"


class CardExpiry(enum.StrEnum):
    VALID = "valid"
    EXPIRES_SOON = "expires_soon"
    EXPIRED = "expired"


def _require_aware(value: dt.datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("period arithmetic needs aware datetimes")


def add_months(start: dt.datetime, months: int) -> dt.datetime:
    """`start` moved `months` calendar months on, the day clamped to the month's last."""
    _require_aware(start)
    if months < 0:
        raise ValueError("months must not be negative")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def period_end(start: dt.datetime, months: int) -> dt.datetime:
    """The end of a period of `months` months (at least one) starting at `start`."""
    if months < 1:
        raise ValueError("a period lasts at least one month")
    return add_months(start, months)


def renewal_start(
    ends_at: dt.datetime | None, now: dt.datetime, *, grace_days: int = 0
) -> dt.datetime:
    """Where a renewal starts: the current end date, or now if the service has ended.

    During the grace days after the end date the service still works (an
    AutoRenew retry or a late trial conversion may still pay for it), so a
    renewal then continues from the end date, with no gap and no days given
    twice; once the grace days are over, it starts now.
    """
    _require_aware(now)
    if ends_at is None:
        return now
    _require_aware(ends_at)
    if now < ends_at + dt.timedelta(days=grace_days):
        return ends_at
    return now


def subscription_status(
    ends_at: dt.datetime | None,
    trial_ends_at: dt.datetime | None,
    now: dt.datetime,
    grace_days: int,
) -> SubscriptionStatus:
    """trial, active, grace (ended less than `grace_days` ago) or expired."""
    _require_aware(now)
    if (
        trial_ends_at is not None
        and now < trial_ends_at
        and (ends_at is None or ends_at <= trial_ends_at)
    ):
        return SubscriptionStatus.TRIAL
    if ends_at is None:
        return SubscriptionStatus.EXPIRED
    if now < ends_at:
        return SubscriptionStatus.ACTIVE
    if now < ends_at + dt.timedelta(days=grace_days):
        return SubscriptionStatus.GRACE
    return SubscriptionStatus.EXPIRED


def recently_expired(
    ends_at: dt.datetime | None,
    now: dt.datetime,
    grace_days: int,
    within_days: int = REACTIVATE_DAYS,
) -> bool:
    """Expired (past its grace), but less than `within_days` after its end: "Reactivate"."""
    if ends_at is None:
        return False
    status = subscription_status(ends_at, None, now, grace_days)
    return status is SubscriptionStatus.EXPIRED and now - ends_at < dt.timedelta(days=within_days)


def card_expires_at(exp_month: int, exp_year: int) -> dt.datetime:
    """The moment a card stops working: the start of the month after its expiry month, UTC."""
    if not 1 <= exp_month <= 12:
        raise ValueError("a card's expiry month is 1 to 12")
    return add_months(dt.datetime(exp_year, exp_month, 1, tzinfo=dt.UTC), 1)


def card_expiry(exp_month: int, exp_year: int, now: dt.datetime) -> CardExpiry:
    expires_at = card_expires_at(exp_month, exp_year)
    if now >= expires_at:
        return CardExpiry.EXPIRED
    if expires_at - now <= dt.timedelta(days=CARD_EXPIRES_SOON_DAYS):
        return CardExpiry.EXPIRES_SOON
    return CardExpiry.VALID
