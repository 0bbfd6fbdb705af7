"""AutoRenew's emails: 30 days before a renewal, when the card will have expired by
then, after a renewal succeeded, and after it failed.

Each kind is sent once per period end of a subscription: a RenewalNotice row,
unique per (subscription, period end, kind), is written in the same
transaction as the email (queued in the outbox), so a job or run repeated,
or two running at once, sends it once. Emails are in the owner's language,
dates in their time zone, amounts written by core.money.money_format.

`billing.autorenew_notices` (daily) sends the "coming" and "card expired
by then" notices; the renewal run (billing.renewals) sends the outcome ones.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from plugline.billing.models import (
    PaymentMethod,
    Plan,
    RenewalNotice,
    RenewalNoticeKind,
    Subscription,
)
from plugline.billing.payments import plan_price
from plugline.billing.periods import card_expires_at
from plugline.core.money import money_format
from plugline.notifications.services import EmailToSend, emails_send

logger = logging.getLogger(__name__)

# The "coming" notice goes out this many days before a renewal.
UPCOMING_DAYS = 30
NOTICES_JOB_NAME = "billing.autorenew_notices"
NOTICES_JOB_EVERY = dt.timedelta(days=1)

_TEMPLATES = {
    RenewalNoticeKind.UPCOMING: "billing/email/autorenew_upcoming",
    RenewalNoticeKind.CARD_EXPIRING: "billing/email/autorenew_card_expiring",
    RenewalNoticeKind.SUCCEEDED: "billing/email/autorenew_succeeded",
    RenewalNoticeKind.FAILED: "billing/email/autorenew_failed",
    RenewalNoticeKind.FAILED_FINAL: "billing/email/autorenew_failed",
}


def default_card(user_id: int) -> PaymentMethod | None:
    return (
        PaymentMethod.objects.filter(user_id=user_id, removed_at__isnull=True, is_default=True)
        .order_by("-created_at")
        .first()
    )


def default_cards(user_ids: set[int]) -> dict[int, PaymentMethod | None]:
    """`default_card` of several accounts in one read: account id -> card (None: no card)."""
    cards: dict[int, PaymentMethod | None] = dict.fromkeys(user_ids)
    for card in PaymentMethod.objects.filter(
        user_id__in=user_ids, removed_at__isnull=True, is_default=True
    ).order_by("created_at"):
        cards[card.user_id] = card  # the newest last, as default_card reads it
    return cards


def renewal_date(period_end: dt.datetime) -> dt.datetime:
    """When AutoRenew charges for a period ending at `period_end`."""
    return period_end - dt.timedelta(days=settings.AUTORENEW_DAYS_BEFORE)


def notice_send(
    *,
    subscription: Subscription,
    period_end: dt.datetime,
    kind: RenewalNoticeKind,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Send one AutoRenew email for this period end, unless it was sent already."""
    email = _notice_email(subscription=subscription, period_end=period_end, kind=kind, extra=extra)
    if email is None:
        return False
    try:
        with transaction.atomic():
            RenewalNotice.objects.create(
                subscription=subscription, period_end=period_end, kind=kind
            )
            emails_send([email])
    except IntegrityError:
        return False  # sent before (or by another run right now)
    return True


@dataclass(frozen=True)
class Notice:
    """One AutoRenew email for `notices_send`: what `notice_send` takes."""

    subscription: Subscription
    period_end: dt.datetime
    kind: RenewalNoticeKind
    extra: dict[str, Any] = field(default_factory=dict)


def notices_send(
    notices: list[Notice],
    *,
    prices: Mapping[int, int | None],
    cards: Mapping[int, PaymentMethod | None],
) -> None:
    """`notice_send` for several emails (a batch of renewals), each once per period end.

    `prices` (by plan id) and `cards` (the default card by account id) are
    what the caller read for the batch. The notices are written in one
    statement in a transaction of their own; if one was sent meanwhile,
    each is sent as `notice_send` does.
    """
    sent = {
        (subscription_id, period_end, kind)
        for subscription_id, period_end, kind in RenewalNotice.objects.filter(
            subscription__in=[notice.subscription for notice in notices]
        ).values_list("subscription_id", "period_end", "kind")
    }
    todo = [
        notice
        for notice in notices
        if (notice.subscription.pk, notice.period_end, notice.kind) not in sent
    ]
    emails = []
    for notice in todo:
        owner_id = notice.subscription.device.owner_id
        email = _notice_email(
            subscription=notice.subscription,
            period_end=notice.period_end,
            kind=notice.kind,
            extra=notice.extra,
            price=prices,
            card=cards.get(owner_id) if owner_id is not None else None,
        )
        if email is not None:
            emails.append((notice, email))
    try:
        with transaction.atomic():
            RenewalNotice.objects.bulk_create(
                RenewalNotice(
                    subscription=notice.subscription, period_end=notice.period_end, kind=notice.kind
                )
                for notice, _email in emails
            )
            emails_send(email for _notice, email in emails)
    except IntegrityError:
        for notice, _email in emails:
            notice_send(
                subscription=notice.subscription,
                period_end=notice.period_end,
                kind=notice.kind,
                extra=notice.extra,
            )


_UNREAD: Any = object()


def _notice_email(
    *,
    subscription: Subscription,
    period_end: dt.datetime,
    kind: RenewalNoticeKind,
    extra: dict[str, Any] | None,
    price: Mapping[int, int | None] | None = None,
    card: Any = _UNREAD,
) -> EmailToSend | None:
    device = subscription.device
    user = device.owner
    if user is None:
        return None
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    plan: Plan | None = subscription.autorenew_plan or subscription.plan
    if plan is None:
        amount = None
    elif price is not None and plan.pk in price:
        amount = price[plan.pk]
    else:
        amount = plan_price(plan=plan)
    if card is _UNREAD:
        card = default_card(user.pk)
    with translation.override(language), timezone.override(_time_zone(user)):
        context: dict[str, Any] = {
            "name": user.get_short_name(),
            "device": device.nickname or device.phone_number_display or device.serial,
            "serial": device.serial,
            "plan": plan.display_name(language) if plan is not None else "",
            "amount": money_format(amount, settings.BILLING_CURRENCY, language)
            if amount is not None
            else "",
            "card_brand": card.brand if card is not None else "",
            "card_last4": card.last4 if card is not None else "",
            "period_end": period_end,
            "renewal_date": renewal_date(period_end),
            "cards_url": settings.SITE_URL + reverse("cards:list"),
            "autorenew_url": settings.SITE_URL + reverse("autorenew:page"),
            "final": kind == RenewalNoticeKind.FAILED_FINAL,
            **(extra or {}),
        }
    return EmailToSend(
        template=_TEMPLATES[kind],
        to=user.email,
        context=context,
        language=language,
        user=user,
        time_zone=_time_zone(user),
    )


def _time_zone(user: Any) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def autorenew_notices_send(*, now: dt.datetime | None = None) -> int:
    """The daily job: "coming in 30 days" and "your card will have expired" notices; how many."""
    now = now or timezone.now()
    soon = Subscription.objects.filter(
        autorenew=True,
        autorenew_plan__isnull=False,
        ends_at__gt=now,
        ends_at__lte=now + dt.timedelta(days=UPCOMING_DAYS + settings.AUTORENEW_DAYS_BEFORE),
        device__owner__isnull=False,
    ).select_related("device__owner", "autorenew_plan", "plan")
    sent = 0
    for subscription in soon.iterator(chunk_size=500):
        period_end = subscription.ends_at
        assert period_end is not None
        try:
            if notice_send(
                subscription=subscription,
                period_end=period_end,
                kind=RenewalNoticeKind.UPCOMING,
            ):
                sent += 1
            card = default_card(subscription.device.owner_id)  # type: ignore[arg-type]
            expiring = card is not None and card_expires_at(
                card.exp_month, card.exp_year
            ) <= renewal_date(period_end)
            if (
                expiring
                and card is not None
                and notice_send(
                    subscription=subscription,
                    period_end=period_end,
                    kind=RenewalNoticeKind.CARD_EXPIRING,
                    extra={"exp_month": card.exp_month, "exp_year": card.exp_year},
                )
            ):
                sent += 1
        except Exception:
            logger.exception("AutoRenew notices for subscription %s failed", subscription.pk)
    return sent
