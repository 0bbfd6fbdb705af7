"""Writes of the minutes ledger: every credit and charge is a new row, never an edit.

Each writer renews the account's cached pages (plugline.core.account_pages):
"My account" shows the balance.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from plugline.core.account_pages import account_pages_changed
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.minutes.models import LowBalanceSetting, MinutesEntry, MinutesEntryKind
from plugline.minutes.selectors import minutes_balance


class AdjustmentRefused(ValueError):
    """An adjustment that cannot be written; the message says why (shown to staff)."""


@transaction.atomic
def minutes_adjustment_add(
    *,
    staff: AbstractBaseUser,
    user: AbstractBaseUser,
    amount: int,
    reason: str,
    request: HttpRequest | None = None,
) -> MinutesEntry:
    """A staff member credits (positive) or debits (negative) an account's balance, with a
    reason; audited."""
    reason = reason.strip()
    if not reason:
        raise AdjustmentRefused("reason")
    if amount == 0:
        raise AdjustmentRefused("amount")
    entry = MinutesEntry.objects.create(
        user_id=user.pk,
        kind=MinutesEntryKind.ADJUSTMENT,
        amount=amount,
        currency=settings.BILLING_CURRENCY,
        reason=reason,
        created_by_id=staff.pk,
    )
    audit_record(
        action=AuditAction.MINUTES_ADJUSTED,
        request=request,
        user=user,
        actor=staff,
        data={
            "entry": entry.pk,
            "amount": amount,
            "currency": entry.currency,
            "reason": reason,
        },
    )
    account_pages_changed(user_ids=[user.pk])
    if amount > 0:
        minutes_low_balance_rearm(user=user)
    return entry


@transaction.atomic
def minutes_reup_credit(*, user: AbstractBaseUser, amount: int, currency: str) -> MinutesEntry:
    """A Re-Up card issued for minutes adds its amount to the balance. The redemption
    (plugline.reup.redemption) links the card to this entry, once per card."""
    entry = MinutesEntry.objects.create(
        user_id=user.pk, kind=MinutesEntryKind.TOP_UP, amount=amount, currency=currency
    )
    account_pages_changed(user_ids=[user.pk])
    if amount > 0:
        minutes_low_balance_rearm(user=user)
    return entry


def minutes_low_balance_rearm(*, user: AbstractBaseUser) -> None:
    """After a credit: a low-balance top-up whose account is back at or above its threshold
    may charge again at the next crossing (plugline.minutes.low_balance)."""
    setting = LowBalanceSetting.objects.filter(user_id=user.pk, armed=False).first()
    if setting is not None and minutes_balance(user=user) >= setting.threshold:
        LowBalanceSetting.objects.filter(pk=setting.pk, armed=False).update(armed=True)
