"""Redeeming a Re-Up card: its PIN adds the plan's period to one of the account's devices, or
(a card issued for minutes) its amount to the account's international balance.

Exactly once: in one transaction the card's row is locked, the period is
added (billing's subscription_add_period, under the subscription's lock) or
the minutes credited (plugline.minutes, an entry the card points at, one per
card), and the card moves from activated to redeemed by a conditional UPDATE
that only one caller can win; whoever loses rolls back and is refused. The
receipt goes to the outbox in the same transaction.

Every failure looks the same to the person typing: an unknown PIN, a card
never sold (printed), one already redeemed or voided, or digits that are
not a PIN at all. The audit log and the failure count (plugline.reup.guarding)
tell staff which; the PIN itself is never stored, logged or shown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation

from plugline.accounts.models import User
from plugline.billing.models import PeriodSource, SubscriptionPeriod
from plugline.billing.services import subscription_add_period, subscription_for_device
from plugline.core.models import AuditAction
from plugline.core.money import money_format
from plugline.core.services import audit_record
from plugline.core.time_zones import time_zone_get
from plugline.devices.models import Device, DeviceStatus
from plugline.minutes.models import MinutesEntry
from plugline.minutes.services import minutes_reup_credit
from plugline.notifications.services import email_send
from plugline.reup import guarding, pins
from plugline.reup.models import ReupBatchKind, ReupCard, ReupCardStatus

logger = logging.getLogger(__name__)


class RedeemFailure(StrEnum):
    # The PIN cannot be used, whatever the reason (one answer for all of them).
    REFUSED = "refused"
    # Too many tries: nothing was looked up.
    THROTTLED = "throttled"
    # The device is not (or no longer) an active device of this account.
    DEVICE = "device"


@dataclass(frozen=True)
class RedeemResult:
    failure: RedeemFailure | None = None
    card: ReupCard | None = None
    period: SubscriptionPeriod | None = None
    device: Device | None = None
    minutes: MinutesEntry | None = None

    @property
    def ends_at(self) -> datetime | None:
        """The device's new end of service."""
        return self.period.ends_at if self.period is not None else None


class _Lost(Exception):
    """Another redemption won the card between our lock and our update (undo ours)."""


def device_name(device: Device) -> str:
    display = getattr(device, "phone_number_display", "") or device.phone_number
    return device.nickname or str(display or "") or device.serial


def card_redeem(
    *, user: User, pin_raw: str, device: Device, request: HttpRequest | None = None
) -> RedeemResult:
    """Redeem the card whose PIN is `pin_raw` for `device`, once.

    With a request, the tries are limited (plugline.reup.guarding); a call
    without one (staff tooling) is not throttled but its failures count.
    """
    if request is not None and not guarding.attempt_allowed(request=request, user=user):
        _failed(user=user, request=request, reason="throttled", throttled=True)
        return RedeemResult(failure=RedeemFailure.THROTTLED)
    pin = pins.pin_normalize(pin_raw)
    if pin is None:
        _failed(user=user, request=request, reason="malformed")
        return RedeemResult(failure=RedeemFailure.REFUSED)
    hashes = pins.pin_hashes(pin)
    try:
        result = _redeem(user=user, hashes=hashes, device=device, request=request)
    except _Lost:
        result = None
    if result is not None:
        return result
    # Why, for the audit log only: the card's serial and state when the PIN is a card's.
    card = ReupCard.objects.filter(pin_hash__in=hashes).first()
    _failed(
        user=user,
        request=request,
        reason=card.status if card is not None else "unknown",
        serial=card.serial if card is not None else "",
    )
    return RedeemResult(failure=RedeemFailure.REFUSED)


@transaction.atomic
def _redeem(
    *, user: User, hashes: list[str], device: Device, request: HttpRequest | None
) -> RedeemResult | None:
    """The redemption itself; None when the PIN is no activated card's."""
    owned = (
        Device.objects.select_for_update()
        .filter(pk=device.pk, owner_id=user.pk, status=DeviceStatus.ACTIVE)
        .first()
    )
    if owned is None:
        return RedeemResult(failure=RedeemFailure.DEVICE)
    # A second caller with the same PIN waits here, then finds the card redeemed.
    card = (
        # Only the card's row: its batch's plan is on the nullable side of a join (a card of
        # minutes has none), which PostgreSQL cannot lock.
        ReupCard.objects.select_for_update(of=("self",))
        .select_related("batch__plan")
        .filter(pin_hash__in=hashes, status=ReupCardStatus.ACTIVATED)
        .first()
    )
    if card is None:
        return None
    if card.batch.kind == ReupBatchKind.MINUTES:
        return _redeem_minutes(user=user, card=card, device=owned, request=request)
    plan = card.batch.plan
    assert plan is not None  # a service card's batch has its plan (a database constraint)
    period = subscription_add_period(
        subscription=subscription_for_device(device=owned),
        months=plan.months,
        source=PeriodSource.REUP,
        plan=plan,
        actor=user,
        request=request,
    )
    now = timezone.now()
    claimed = ReupCard.objects.filter(pk=card.pk, status=ReupCardStatus.ACTIVATED).update(
        status=ReupCardStatus.REDEEMED, redeemed_by=user, redeemed_at=now, period=period
    )
    if claimed != 1:
        raise _Lost  # rolls back the period with everything else
    card.refresh_from_db()
    audit_record(
        action=AuditAction.REUP_CARD_REDEEMED,
        request=request,
        user=user,
        data={
            "card": card.serial,
            "serial": owned.serial,
            "plan": plan.code,
            "months": plan.months,
            "ends_at": period.ends_at.isoformat(),
        },
    )
    _receipt_send(user=user, card=card, device=owned, period=period)
    return RedeemResult(card=card, period=period, device=owned)


def _redeem_minutes(
    *, user: User, card: ReupCard, device: Device, request: HttpRequest | None
) -> RedeemResult:
    """A card issued for minutes: its amount to the account's balance, once (the card holds
    its entry; the conditional UPDATE lets one redemption win, the others roll back)."""
    batch = card.batch
    entry = minutes_reup_credit(
        user=user, amount=batch.minutes_amount or 0, currency=batch.minutes_currency
    )
    claimed = ReupCard.objects.filter(pk=card.pk, status=ReupCardStatus.ACTIVATED).update(
        status=ReupCardStatus.REDEEMED,
        redeemed_by=user,
        redeemed_at=timezone.now(),
        minutes_entry=entry,
    )
    if claimed != 1:
        raise _Lost  # rolls back the credit with everything else
    card.refresh_from_db()
    audit_record(
        action=AuditAction.REUP_CARD_REDEEMED,
        request=request,
        user=user,
        data={
            "card": card.serial,
            "minutes_amount": entry.amount,
            "currency": entry.currency,
            "entry": entry.pk,
        },
    )
    _minutes_receipt_send(user=user, card=card, entry=entry)
    return RedeemResult(card=card, device=device, minutes=entry)


def _minutes_receipt_send(*, user: User, card: ReupCard, entry: MinutesEntry) -> None:
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(time_zone_get(user.time_zone)):
        email_send(
            template="reup/email/redeemed_minutes",
            to=user.email,
            context={
                "name": user.get_short_name(),
                "card_serial": card.serial,
                "amount": money_format(entry.amount, entry.currency, language),
                "redeemed_at": card.redeemed_at,
                "minutes_url": settings.SITE_URL + reverse("minutes:minutes"),
            },
            language=language,
            user=user,
        )


def _failed(
    *,
    user: User,
    request: HttpRequest | None,
    reason: str,
    serial: str = "",
    throttled: bool = False,
) -> None:
    audit_record(
        action=AuditAction.REUP_REDEEM_FAILED,
        request=request,
        user=user,
        data={"reason": reason, "card": serial},
    )
    guarding.failure_record(user=user, request=request, throttled=throttled)


def _receipt_send(
    *, user: User, card: ReupCard, device: Device, period: SubscriptionPeriod
) -> None:
    """The receipt, in the account's language, dates in its time zone."""
    plan = card.batch.plan
    assert plan is not None
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(time_zone_get(user.time_zone)):
        context: dict[str, Any] = {
            "name": user.get_short_name(),
            "card_serial": card.serial,
            "plan": plan.display_name(language),
            "months": plan.months,
            "device": device_name(device),
            "serial": device.serial,
            "ends_at": period.ends_at,
            "redeemed_at": card.redeemed_at,
            "device_url": settings.SITE_URL + reverse("portal:device", args=[device.serial]),
        }
        email_send(
            template="reup/email/redeemed",
            to=user.email,
            context=context,
            language=language,
            user=user,
        )
