"""Low-balance top-up: when the balance falls below the threshold the subscriber chose, the
default card is charged the amount they chose, once per crossing, within a monthly cap.

Built like AutoRenew (billing.renewals), with its claims, keys and declines:

1. `low_balance_enqueue` finds the accounts switched on, "armed" and below
   their threshold; for each, a conditional UPDATE disarms the setting and
   counts the crossing, and one LowBalanceAttempt is written for it (unique
   per account and crossing), in one transaction: whichever run sees it first.
   An account is armed again once its balance is back at or above the
   threshold (by the credit that gets it there, or the next run), so a top-up
   too small to get there is not followed by another.
2. Workers claim attempts (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, a
   conditional UPDATE elsewhere) for a lease, and charge through the payment
   core a top-up of minutes (plugline.minutes.top_ups) with the key
   `lowbalance-<attempt>-<try>`: a worker that dies after writing the payment
   is replaced by one that charges the same key, which the gateway charges
   once. The credit is the payment's (once per payment).
3. Outcomes: succeeded (the receipt goes as for any payment); a soft decline
   is tried again after 1, 2 and 4 days, then given up, the subscriber
   emailed each time; a hard decline is not tried again (emailed); a card that
   needs the cardholder's approval is never tried again blindly: the
   subscriber is emailed a link to approve it, and the attempt waits for the
   payment's outcome (settled by billing.settle_unknown_payments); an unknown
   outcome waits the same way. An attempt whose charge would pass the monthly
   cap (top-ups of this kind in the calendar month, UTC) is not charged
   (emailed), nor one whose account was topped up or switched off meanwhile.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from plugline.billing.models import Payment, PaymentStatus
from plugline.billing.notices import default_cards
from plugline.billing.payments import OPEN_STATUSES, PaymentRefused, payment_charge
from plugline.billing.renewals import (
    LEASE,
    RETRY_BACKOFF_DAYS,
    SOFT_DECLINE_CODES,
    WAIT_RECHECK,
    worker_id_new,
)
from plugline.core.money import money_format
from plugline.minutes.models import (
    LowBalanceAttempt,
    LowBalanceAttemptStatus,
    LowBalanceSetting,
    MinutesEntry,
)
from plugline.minutes.selectors import minutes_balance, minutes_top_up_amounts
from plugline.minutes.top_ups import TopUpRefused, minutes_top_up_write
from plugline.notifications.services import email_send

logger = logging.getLogger(__name__)

RUN_JOB_NAME = "minutes.low_balance_run"
RUN_JOB_EVERY = dt.timedelta(minutes=10)
# The thresholds and monthly caps a subscriber chooses from (minor units).
THRESHOLDS = (100, 200, 500, 1000)
MONTHLY_CAPS = (1000, 2000, 5000, 10000)
# AutoRenew's soft declines, but for the cardholder's approval: asked once, never again blindly.
SOFT_DECLINES = SOFT_DECLINE_CODES - {"authentication_abandoned", "authentication_failed"}
OPEN_ATTEMPTS = (
    LowBalanceAttemptStatus.QUEUED,
    LowBalanceAttemptStatus.RETRY,
    LowBalanceAttemptStatus.WAITING,
)


class LowBalanceRefused(ValueError):
    """Settings that cannot be saved; `reason`: "amount", "threshold", "cap"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Settings ------------------------------------------------------------------------


def low_balance_get(*, user: AbstractBaseUser) -> LowBalanceSetting | None:
    return LowBalanceSetting.objects.filter(user_id=user.pk).first()


@transaction.atomic
def low_balance_set(
    *, user: AbstractBaseUser, enabled: bool, threshold: int, amount: int, monthly_cap: int
) -> LowBalanceSetting:
    """Switch the low-balance top-up on or off, with its threshold, amount and monthly cap.

    Switched on while the balance is below the threshold already, the next run charges once.
    """
    if amount not in minutes_top_up_amounts():
        raise LowBalanceRefused("amount")
    if threshold not in THRESHOLDS:
        raise LowBalanceRefused("threshold")
    if monthly_cap not in MONTHLY_CAPS or monthly_cap < amount:
        raise LowBalanceRefused("cap")
    setting, _created = LowBalanceSetting.objects.select_for_update().update_or_create(
        user_id=user.pk,
        defaults={
            "enabled": enabled,
            "threshold": threshold,
            "amount": amount,
            "monthly_cap": monthly_cap,
            "currency": settings.BILLING_CURRENCY,
        },
    )
    return setting


# The run -------------------------------------------------------------------------


def _balances() -> Subquery:
    return Subquery(
        MinutesEntry.objects.filter(user_id=OuterRef("user_id"), currency=OuterRef("currency"))
        .order_by()
        .values("user_id")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )


def low_balance_enqueue() -> int:
    """One attempt for each account that fell below its threshold since it was armed; how
    many. Accounts back at or above their threshold are armed again."""
    with_balance = LowBalanceSetting.objects.filter(enabled=True).annotate(
        balance=Coalesce(_balances(), Value(0))
    )
    crossed = list(
        with_balance.filter(armed=True, balance__lt=F("threshold")).values_list("pk", flat=True)
    )
    made = 0
    for setting_id in crossed:
        with transaction.atomic():
            # Whichever run disarms it writes the crossing's attempt.
            if not LowBalanceSetting.objects.filter(pk=setting_id, enabled=True, armed=True).update(
                armed=False, crossings=F("crossings") + 1
            ):
                continue
            setting = LowBalanceSetting.objects.get(pk=setting_id)
            LowBalanceAttempt.objects.create(
                user_id=setting.user_id, crossing=setting.crossings, amount=setting.amount
            )
            made += 1
    # Credits arm their account at once (minutes_low_balance_rearm); this catches the rest.
    back_up = list(
        with_balance.filter(armed=False, balance__gte=F("threshold")).values_list("pk", flat=True)
    )
    LowBalanceSetting.objects.filter(pk__in=back_up, armed=False).update(armed=True)
    return made


def _claimable(now: dt.datetime) -> Q:
    return (
        Q(status__in=OPEN_ATTEMPTS)
        & (Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
        & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    )


def low_balance_claim(*, now: dt.datetime, batch: int, worker_id: str) -> list[int]:
    """Claim up to `batch` attempts for this worker; never one another worker holds."""
    lease = now + LEASE
    query = LowBalanceAttempt.objects.filter(_claimable(now)).order_by(
        F("next_try_at").asc(nulls_first=True), "pk"
    )
    if connection.vendor == "postgresql":
        with transaction.atomic():
            ids = list(
                query.select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch]
            )
            LowBalanceAttempt.objects.filter(pk__in=ids).update(
                claimed_by=worker_id, claimed_until=lease
            )
        return ids
    candidates = list(query.values_list("pk", flat=True)[:batch])
    LowBalanceAttempt.objects.filter(_claimable(now), pk__in=candidates).update(
        claimed_by=worker_id, claimed_until=lease
    )
    return list(
        LowBalanceAttempt.objects.filter(
            pk__in=candidates, claimed_by=worker_id, claimed_until=lease
        ).values_list("pk", flat=True)
    )


def _finish(
    attempt: LowBalanceAttempt,
    *,
    worker_id: str,
    status: str,
    next_try_at: dt.datetime | None = None,
) -> str:
    LowBalanceAttempt.objects.filter(pk=attempt.pk, claimed_by=worker_id).update(
        status=status, next_try_at=next_try_at, claimed_until=None
    )
    return status


def _spent_this_month(user_id: int, now: dt.datetime) -> int:
    """What low-balance top-ups charged (or may still charge) this calendar month (UTC)."""
    month_start = now.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = Payment.objects.filter(
        pk__in=LowBalanceAttempt.objects.filter(user_id=user_id, payment__isnull=False).values(
            "payment"
        ),
        status__in=(PaymentStatus.SUCCEEDED, *OPEN_STATUSES),
        created_at__gte=month_start,
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def low_balance_attempt_process(attempt_id: int, *, worker_id: str, now: dt.datetime) -> str:
    """Take one claimed attempt a step further; its status afterwards."""
    attempt = (
        LowBalanceAttempt.objects.select_related("user", "payment").filter(pk=attempt_id).first()
    )
    if attempt is None or attempt.claimed_by != worker_id:
        return "lost"
    payment = attempt.payment
    if payment is not None and (
        payment.status != PaymentStatus.DECLINED or attempt.status != LowBalanceAttemptStatus.RETRY
    ):
        # A payment made before: act on its outcome, never charge a new key for it.
        return _after_payment(attempt, payment, worker_id=worker_id, now=now)
    user = attempt.user
    setting = LowBalanceSetting.objects.filter(user_id=user.pk).first()
    if setting is None or not setting.enabled or minutes_balance(user=user) >= setting.threshold:
        return _finish(attempt, worker_id=worker_id, status=LowBalanceAttemptStatus.CANCELLED)
    if _spent_this_month(user.pk, now) + attempt.amount > setting.monthly_cap:
        _email(user, "low_balance_capped", {"cap": _money(setting.monthly_cap, user)})
        return _finish(attempt, worker_id=worker_id, status=LowBalanceAttemptStatus.CAPPED)
    card = default_cards({user.pk}).get(user.pk)
    if card is None:
        attempt.attempts += 1
        LowBalanceAttempt.objects.filter(pk=attempt.pk).update(attempts=attempt.attempts)
        return _declined(attempt, soft=True, worker_id=worker_id, now=now, paid=None)
    key = f"lowbalance-{attempt.pk}-{attempt.attempts + 1}"
    try:
        with transaction.atomic():
            payment = minutes_top_up_write(
                user=user, amount=attempt.amount, payment_method=card, idempotency_key=key
            )
            attempt.attempts += 1
            attempt.payment = payment
            LowBalanceAttempt.objects.filter(pk=attempt.pk).update(
                attempts=attempt.attempts, payment=payment
            )
    except TopUpRefused:
        # The subscriber is paying a top-up in the portal just now: look again later.
        return _finish(
            attempt,
            worker_id=worker_id,
            status=LowBalanceAttemptStatus.WAITING,
            next_try_at=now + WAIT_RECHECK,
        )
    except PaymentRefused:
        attempt.attempts += 1
        LowBalanceAttempt.objects.filter(pk=attempt.pk).update(attempts=attempt.attempts)
        return _declined(attempt, soft=True, worker_id=worker_id, now=now, paid=None)
    answer = payment_charge(payment=payment)
    if answer.payment.status == PaymentStatus.REQUIRES_ACTION:
        # Never charged again blindly: the cardholder approves it, or it is given up.
        _email(
            user,
            "low_balance_approval",
            {
                "amount": _money(answer.payment.amount, user),
                "approve_url": settings.SITE_URL
                + reverse("minutes:payment", kwargs={"payment_id": answer.payment.pk}),
            },
        )
    return _after_payment(attempt, answer.payment, worker_id=worker_id, now=now)


def _after_payment(
    attempt: LowBalanceAttempt, payment: Payment, *, worker_id: str, now: dt.datetime
) -> str:
    if payment.status in OPEN_STATUSES:
        return _finish(
            attempt,
            worker_id=worker_id,
            status=LowBalanceAttemptStatus.WAITING,
            next_try_at=now + WAIT_RECHECK,
        )
    if payment.status == PaymentStatus.DECLINED:
        soft = payment.decline_code in SOFT_DECLINES
        return _declined(attempt, soft=soft, worker_id=worker_id, now=now, paid=payment)
    return _finish(attempt, worker_id=worker_id, status=LowBalanceAttemptStatus.SUCCEEDED)


def _declined(
    attempt: LowBalanceAttempt,
    *,
    soft: bool,
    worker_id: str,
    now: dt.datetime,
    paid: Payment | None,
) -> str:
    tries = attempt.attempts
    when = (
        now + dt.timedelta(days=RETRY_BACKOFF_DAYS[tries - 1])
        if soft and 1 <= tries <= len(RETRY_BACKOFF_DAYS)
        else None
    )
    user = attempt.user
    with transaction.atomic():
        _email(
            user,
            "low_balance_failed",
            {
                "amount": _money(attempt.amount, user),
                "card": f"{paid.card_brand} {paid.card_last4}" if paid is not None else "",
                "retry_at": when,
            },
        )
        if when is None:
            return _finish(attempt, worker_id=worker_id, status=LowBalanceAttemptStatus.FAILED)
        return _finish(
            attempt, worker_id=worker_id, status=LowBalanceAttemptStatus.RETRY, next_try_at=when
        )


def _money(amount: int, user: AbstractBaseUser) -> str:
    return money_format(amount, settings.BILLING_CURRENCY, getattr(user, "language", None))


def _email(user: AbstractBaseUser, name: str, context: dict[str, object]) -> None:
    email_send(
        template=f"minutes/email/{name}",
        to=getattr(user, "email", ""),
        context={
            "name": user.get_short_name() if hasattr(user, "get_short_name") else "",
            "minutes_url": settings.SITE_URL + reverse("minutes:minutes"),
            "cards_url": settings.SITE_URL + reverse("cards:list"),
            **context,
        },
        language=getattr(user, "language", "") or settings.LANGUAGE_CODE,
        user=user,
    )


def low_balance_run(*, now: dt.datetime | None = None, batch: int = 20) -> dict[str, int]:
    """Enqueue the crossings, then work every attempt due; the outcomes counted. Safe to run
    on many machines at once."""
    now = now or timezone.now()
    worker_id = worker_id_new()
    outcomes: dict[str, int] = {"enqueued": low_balance_enqueue()}
    while ids := low_balance_claim(now=now, batch=batch, worker_id=worker_id):
        for attempt_id in ids:
            try:
                status = low_balance_attempt_process(attempt_id, worker_id=worker_id, now=now)
            except Exception:
                # Left claimed: a later run takes it up once the lease runs out.
                logger.exception("low-balance attempt %s failed", attempt_id)
                status = "error"
            outcomes[status] = outcomes.get(status, 0) + 1
    return outcomes


def low_balance_run_job() -> int:
    """The periodic job (every 10 minutes): how many attempts it worked."""
    return sum(count for name, count in low_balance_run().items() if name != "enqueued")
