"""Writes of the number inventory. Every change of status is a conditional
update, so that two customers racing for one number cannot both get it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from plugline.telephony.models import NumberStatus, PhoneNumber


def _free_now() -> Q:
    """Numbers that can be given out now: available, or held by a lapsed reservation,
    or out of a quarantine that has ended."""
    now = timezone.now()
    return (
        Q(status=NumberStatus.AVAILABLE)
        | Q(status=NumberStatus.RESERVED, reserved_until__lt=now)
        | Q(status=NumberStatus.QUARANTINED, quarantined_until__lt=now)
    )


@transaction.atomic
def number_reserve(*, e164: str, holder: str, minutes: int | None = None) -> bool:
    """Hold a free number for `holder` (e.g. an activation wizard); False if someone else has it.

    A holder keeps at most one reservation: the one it held before is released.
    Reserving again the number one already holds extends the hold.
    """
    minutes = settings.NUMBER_RESERVATION_MINUTES if minutes is None else minutes
    until = timezone.now() + timedelta(minutes=minutes)
    won = PhoneNumber.objects.filter(
        _free_now() | Q(status=NumberStatus.RESERVED, reserved_for=holder), e164=e164
    ).update(
        status=NumberStatus.RESERVED,
        reserved_for=holder,
        reserved_until=until,
        quarantined_until=None,
        updated_at=timezone.now(),
    )
    if won:
        number_release_reservations(holder=holder, keep=e164)
    return bool(won)


def number_release_reservations(*, holder: str, keep: str = "") -> int:
    """Let go of what `holder` reserved (except `keep`); the count released."""
    return (
        PhoneNumber.objects.filter(status=NumberStatus.RESERVED, reserved_for=holder)
        .exclude(e164=keep)
        .update(
            status=NumberStatus.AVAILABLE,
            reserved_for="",
            reserved_until=None,
            updated_at=timezone.now(),
        )
    )


@transaction.atomic
def number_assign(*, e164: str, holder: str) -> bool:
    """Turn `holder`'s reservation into an assignment; False if the hold was lost.

    A lapsed hold still counts if nobody took the number since.
    """
    return bool(
        PhoneNumber.objects.filter(
            e164=e164, status=NumberStatus.RESERVED, reserved_for=holder
        ).update(
            status=NumberStatus.ASSIGNED,
            reserved_for="",
            reserved_until=None,
            updated_at=timezone.now(),
        )
    )


def number_quarantine(*, e164: str, days: int | None = None) -> None:
    """A number a subscriber left: it rests before anyone else can have it.

    Numbers that are not in the inventory (imported before it existed) are
    left alone.
    """
    days = settings.NUMBER_QUARANTINE_DAYS if days is None else days
    PhoneNumber.objects.filter(e164=e164).update(
        status=NumberStatus.QUARANTINED,
        reserved_for="",
        reserved_until=None,
        quarantined_until=timezone.now() + timedelta(days=days),
        updated_at=timezone.now(),
    )


def number_mark_assigned(*, e164: str) -> None:
    """Record in the inventory a number that a device already has (kept on release)."""
    PhoneNumber.objects.filter(e164=e164).update(
        status=NumberStatus.ASSIGNED,
        reserved_for="",
        reserved_until=None,
        quarantined_until=None,
        updated_at=timezone.now(),
    )
