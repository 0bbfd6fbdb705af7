"""Reads of the minutes ledger, always scoped to the account asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Sum

from plugline.core.phones import format_phone_number
from plugline.minutes.models import LowBalanceSetting, MinutesEntry, MinutesEntryKind


def minutes_top_up_amounts() -> list[int]:
    """The amounts a subscriber can buy, in minor units of the billing currency."""
    return [int(amount) for amount in settings.MINUTES_TOP_UP_AMOUNTS]


def minutes_balance(*, user: AbstractBaseUser) -> int:
    """The account's international balance in minor units of the billing currency: the sum
    of its ledger."""
    total = MinutesEntry.objects.filter(
        user_id=user.pk, currency=settings.BILLING_CURRENCY
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


@dataclass(frozen=True)
class ChargedCall:
    """An international call and what it cost (a positive amount in minor units)."""

    number: str
    started_at: datetime
    cost: int
    currency: str


def minutes_last_calls(*, user: AbstractBaseUser, limit: int = 5) -> list[ChargedCall]:
    """The account's last international calls with what each cost, newest first (one query)."""
    entries = (
        MinutesEntry.objects.filter(user_id=user.pk, kind=MinutesEntryKind.CALL_CHARGE)
        .select_related("call_record")
        .order_by("-created_at", "-pk")[:limit]
    )
    return [
        ChargedCall(
            number=format_phone_number(entry.call_record.callee),
            started_at=entry.call_record.started_at,
            cost=-entry.amount,
            currency=entry.currency,
        )
        for entry in entries
        if entry.call_record is not None
    ]


def minutes_export(user: AbstractBaseUser) -> dict[str, object]:
    """The account's international minutes for its data export: the balance, every entry of
    the ledger (with the number of each call charged), the low-balance top-up's settings."""
    entries = [
        {
            "date": entry.created_at.isoformat(),
            "kind": entry.kind,
            "amount": entry.amount,
            "currency": entry.currency,
            "payment": str(entry.payment_id) if entry.payment_id else None,
            "called": entry.call_record.callee if entry.call_record is not None else None,
            "reason": entry.reason,
        }
        for entry in MinutesEntry.objects.filter(user_id=user.pk)
        .select_related("call_record")
        .order_by("created_at", "pk")
    ]
    setting = LowBalanceSetting.objects.filter(user_id=user.pk).first()
    return {
        "balance": minutes_balance(user=user),
        "currency": settings.BILLING_CURRENCY,
        "entries": entries,
        "low_balance_top_up": {
            "enabled": setting.enabled,
            "threshold": setting.threshold,
            "amount": setting.amount,
            "monthly_cap": setting.monthly_cap,
        }
        if setting is not None
        else None,
    }
