"""The AutoRenew run: charge the card on file of every subscription due, once.

Due: AutoRenew on with a plan, ending within settings.AUTORENEW_DAYS_BEFORE
days (or ended, but still in its grace days). Each due period end gets one
RenewalAttempt row (unique per subscription and period end), inserted by
whichever worker sees it first. Workers then claim attempts in chunks: on
PostgreSQL with SELECT ... FOR UPDATE SKIP LOCKED, elsewhere with a
conditional UPDATE; a claim is a lease (`claimed_until`), so the attempts of
a worker killed mid-run are taken up by a later run once it runs out.

Money moves only in billing.payments. The payment's idempotency key is
derived from the attempt and its number (`autorenew-<attempt>-<n>`), so a
worker that dies after writing a payment and is replaced by another charges
the same key, which the gateway charges once. Outcomes:

- succeeded: payments extended the subscription once (and queued the receipt);
  the "renewed" notice is sent.
- soft decline (insufficient funds, no answer sent...): tried again after 1, 2
  and 4 days while the grace period lasts (the device stays in "grace", not
  cut off, meanwhile); the "failed" notice links to the Cards page.
- hard decline: not tried again; the "failed" notice.
- unknown or waiting for the cardholder: left to payments' settle job
  (`billing.settle_unknown_payments`), never charged again with a new key;
  the run looks again later and acts on the settled outcome.

The gateway calls are overlapped by running several threads, each with its
own database connection (closed when the thread ends).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from plugline.billing.models import (
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Plan,
    RenewalAttempt,
    RenewalNoticeKind,
    Subscription,
)
from plugline.billing.notices import Notice, default_cards, notice_send, notices_send
from plugline.billing.payments import (
    OPEN_STATUSES,
    PaymentOrder,
    PaymentRefused,
    payment_create,
    payments_charge,
    payments_write,
    plan_prices,
)
from plugline.core.bulk import rows_update

logger = logging.getLogger(__name__)

RUN_JOB_NAME = "billing.autorenew_run"
RUN_JOB_EVERY = dt.timedelta(minutes=10)
# Threads of the periodic job (the command takes --threads), and how many charges each
# sends to the gateway together (--charges-at-once): a claim's whole batch.
RUN_JOB_THREADS = 8
RUN_JOB_BATCH = 20
# How long a claim holds before another worker may take the attempt over.
LEASE = dt.timedelta(minutes=5)
# Days between tries after a soft decline.
RETRY_BACKOFF_DAYS = (1, 2, 4)
# When the run looks again at a payment whose outcome the settle job will find.
WAIT_RECHECK = dt.timedelta(minutes=10)
# Declines worth trying again later; any other decline is final.
SOFT_DECLINE_CODES = frozenset(
    {
        "insufficient_funds",
        "processing_error",
        "try_again_later",
        "issuer_not_available",
        "not_sent",
        "authentication_abandoned",
        "authentication_failed",
        "no_card",
    }
)


class AttemptStatus:
    QUEUED = "queued"  # due, not tried yet
    RETRY = "retry"  # softly declined; tried again at next_try_at
    WAITING = "waiting"  # its payment's outcome is not known yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # hard decline, or no more tries within the grace period
    CANCELLED = "cancelled"  # AutoRenew turned off, or renewed some other way


OPEN_ATTEMPTS = (AttemptStatus.QUEUED, AttemptStatus.RETRY, AttemptStatus.WAITING)


@dataclass
class RunResult:
    outcomes: Counter[str] = field(default_factory=Counter)
    enqueued: int = 0

    @property
    def processed(self) -> int:
        return sum(self.outcomes.values())


def worker_id_new() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def renewals_enqueue(*, now: dt.datetime) -> int:
    """One attempt row for each due period end that has none yet (concurrent runs: once)."""
    grace = dt.timedelta(days=settings.BILLING_GRACE_DAYS)
    due = (
        Subscription.objects.filter(
            autorenew=True,
            autorenew_plan__isnull=False,
            ends_at__lte=now + dt.timedelta(days=settings.AUTORENEW_DAYS_BEFORE),
            ends_at__gt=now - grace,
        )
        .filter(
            ~Exists(
                RenewalAttempt.objects.filter(
                    subscription=OuterRef("pk"), period_end=OuterRef("ends_at")
                )
            )
        )
        .values_list("pk", "ends_at")
    )
    rows = [
        RenewalAttempt(
            subscription_id=pk, period_end=ends_at, status=AttemptStatus.QUEUED, next_try_at=None
        )
        for pk, ends_at in due.iterator(chunk_size=2000)
        if ends_at is not None
    ]
    for start in range(0, len(rows), 1000):
        RenewalAttempt.objects.bulk_create(rows[start : start + 1000], ignore_conflicts=True)
    return len(rows)


def _claimable(now: dt.datetime, real_now: dt.datetime) -> Q:
    return (
        Q(status__in=OPEN_ATTEMPTS)
        # Not tried yet (whichever worker's clock inserted it), or its time has come.
        & (Q(next_try_at__isnull=True) | Q(next_try_at__lte=now))
        & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=real_now))
    )


def renewals_claim(*, now: dt.datetime, batch: int, worker_id: str) -> list[int]:
    """Claim up to `batch` attempts for this worker; their ids. Never one another worker holds."""
    real_now = timezone.now()
    lease = real_now + LEASE
    query = RenewalAttempt.objects.filter(_claimable(now, real_now)).order_by(
        F("next_try_at").asc(nulls_first=True), "pk"
    )
    if connection.vendor == "postgresql":
        with transaction.atomic():
            locked = query.select_for_update(skip_locked=True)
            ids = list(locked.values_list("pk", flat=True)[:batch])
            if ids:
                RenewalAttempt.objects.filter(pk__in=ids).update(
                    claimed_by=worker_id, claimed_until=lease
                )
        return ids
    candidates = list(query.values_list("pk", flat=True)[:batch])
    # The condition is checked again by the UPDATE itself: a row another
    # worker claimed meanwhile is left alone.
    RenewalAttempt.objects.filter(_claimable(now, real_now), pk__in=candidates).update(
        claimed_by=worker_id, claimed_until=lease
    )
    return list(
        RenewalAttempt.objects.filter(
            pk__in=candidates, claimed_by=worker_id, claimed_until=lease
        ).values_list("pk", flat=True)
    )


def _finish(
    attempt: RenewalAttempt,
    *,
    worker_id: str,
    status: str,
    next_try_at: dt.datetime | None = None,
) -> str:
    RenewalAttempt.objects.filter(pk=attempt.pk, claimed_by=worker_id).update(
        status=status, next_try_at=next_try_at, claimed_until=None
    )
    return status


def renewal_attempt_process(attempt_id: int, *, worker_id: str, now: dt.datetime) -> str:
    """Take one claimed attempt a step further; the attempt's status afterwards."""
    return renewal_attempts_process([attempt_id], worker_id=worker_id, now=now)[0]


def renewal_attempts_process(
    attempt_ids: list[int], *, worker_id: str, now: dt.datetime, charges_at_once: int = 1
) -> list[str]:
    """Take claimed attempts a step further, as a batch; each one's status afterwards.

    What the batch needs (subscriptions, owners, plans, prices, default cards,
    gateway customers) is read once; the payments are written just before they
    are charged, `charges_at_once` at a time (one INSERT each for them and their
    items, one commit) and sent to the gateway together; the answers are
    recorded together (see payments.payments_charge) and the successes' emails
    written together.
    """
    charges_at_once = max(charges_at_once, 1)
    attempts = RenewalAttempt.objects.select_related(
        "subscription__device__owner", "subscription__autorenew_plan", "payment"
    ).in_bulk(attempt_ids)
    mine = [
        attempts[pk]
        for pk in attempt_ids
        if pk in attempts and attempts[pk].claimed_by == worker_id
    ]
    prices = plan_prices(
        plan_ids={
            attempt.subscription.autorenew_plan_id
            for attempt in mine
            if attempt.subscription.autorenew_plan_id is not None
        }
    )
    owners = {
        attempt.subscription.device.owner_id
        for attempt in mine
        if attempt.subscription.device.owner_id is not None
    }
    cards = default_cards(owners)
    outcomes: dict[int, str] = {}
    settled: list[tuple[RenewalAttempt, Payment]] = []
    to_charge: list[tuple[RenewalAttempt, Subscription, Plan, PaymentMethod]] = []
    for attempt in mine:
        payment = attempt.payment
        if payment is not None and (
            payment.status != PaymentStatus.DECLINED or attempt.status != AttemptStatus.RETRY
        ):
            # A payment made before: act on its outcome, never charge a new key for it.
            settled.append((attempt, payment))
            continue
        subscription = attempt.subscription
        plan = subscription.autorenew_plan
        owner = subscription.device.owner
        grace_end = attempt.period_end + dt.timedelta(days=settings.BILLING_GRACE_DAYS)
        if (
            not subscription.autorenew
            or plan is None
            or owner is None
            or subscription.ends_at != attempt.period_end
        ):
            outcomes[attempt.pk] = _finish(
                attempt, worker_id=worker_id, status=AttemptStatus.CANCELLED
            )
        elif now >= grace_end or not plan.autorenew_allowed or prices.get(plan.pk) is None:
            outcomes[attempt.pk] = _finish(
                attempt, worker_id=worker_id, status=AttemptStatus.FAILED
            )
        elif (card := cards.get(owner.pk)) is None:
            outcomes[attempt.pk] = _declined(
                attempt, soft=True, worker_id=worker_id, now=now, paid=None
            )
        else:
            to_charge.append((attempt, subscription, plan, card))

    written: list[RenewalAttempt] = []

    def payments_written() -> Iterator[Payment]:
        # Each group of payments (those sent to the gateway together) and the claims'
        # links to them in one commit, before the group is charged.
        for start in range(0, len(to_charge), charges_at_once):
            group = to_charge[start : start + charges_at_once]
            orders = [
                PaymentOrder(
                    user=subscription.device.owner,  # type: ignore[arg-type]
                    kind=PaymentKind.AUTORENEW,
                    items=[(subscription, plan)],
                    payment_method=card,
                    idempotency_key=f"autorenew-{attempt.pk}-{attempt.attempts + 1}",
                )
                for attempt, subscription, plan, card in group
            ]
            with transaction.atomic():
                try:
                    made = payments_write(orders, prices=prices)
                except IntegrityError:
                    # A key written by someone else meanwhile: each on its own.
                    made = [_payment_or_refusal(order, prices) for order in orders]
                linked = []
                for (attempt, _subscription, _plan, _card), payment in zip(
                    group, made, strict=True
                ):
                    if isinstance(payment, Payment):
                        attempt.attempts, attempt.payment = attempt.attempts + 1, payment
                        linked.append(attempt)
                rows_update(linked, ["attempts", "payment"])
            for (attempt, _subscription, _plan, _card), payment in zip(group, made, strict=True):
                if isinstance(payment, PaymentRefused):
                    outcomes[attempt.pk] = _declined(
                        attempt, soft=True, worker_id=worker_id, now=now, paid=None
                    )
                else:
                    written.append(attempt)
                    yield payment

    charged = payments_charge(payments=payments_written(), users=owners, at_once=charges_at_once)
    settled += zip(written, charged, strict=True)
    succeeded = [
        (attempt, payment)
        for attempt, payment in settled
        if payment.status not in OPEN_STATUSES and payment.status != PaymentStatus.DECLINED
    ]
    paid = {attempt.pk for attempt, _payment in succeeded}
    for attempt, payment in settled:
        if attempt.pk not in paid:
            outcomes[attempt.pk] = _after_payment(attempt, payment, worker_id=worker_id, now=now)
    if succeeded:
        _renewed(succeeded, worker_id=worker_id, prices=prices, cards=cards)
        for attempt, _payment in succeeded:
            outcomes[attempt.pk] = AttemptStatus.SUCCEEDED
    return [outcomes.get(pk, "lost") for pk in attempt_ids]


def _payment_or_refusal(
    order: PaymentOrder, prices: dict[int, int | None]
) -> Payment | PaymentRefused:
    try:
        return payment_create(
            user=order.user,
            kind=order.kind,
            items=order.items,
            payment_method=order.payment_method,
            idempotency_key=order.idempotency_key,
            prices=prices,
        )
    except PaymentRefused as refused:
        return refused


def _renewed(
    succeeded: list[tuple[RenewalAttempt, Payment]],
    *,
    worker_id: str,
    prices: dict[int, int | None],
    cards: dict[int, PaymentMethod | None],
) -> None:
    """The "renewed" emails of paid attempts, and the attempts closed, in one transaction."""
    subscriptions = Subscription.objects.select_related(
        "device__owner", "autorenew_plan", "plan"
    ).in_bulk([attempt.subscription_id for attempt, _payment in succeeded])
    with transaction.atomic():
        notices_send(
            [
                Notice(
                    subscription=subscriptions[attempt.subscription_id],
                    period_end=attempt.period_end,
                    kind=RenewalNoticeKind.SUCCEEDED,
                    extra=_paid_context(payment)
                    | {"new_end": subscriptions[attempt.subscription_id].ends_at},
                )
                for attempt, payment in succeeded
            ],
            prices=prices,
            cards=cards,
        )
        RenewalAttempt.objects.filter(
            pk__in=[attempt.pk for attempt, _payment in succeeded], claimed_by=worker_id
        ).update(status=AttemptStatus.SUCCEEDED, next_try_at=None, claimed_until=None)


def _after_payment(
    attempt: RenewalAttempt, payment: Payment, *, worker_id: str, now: dt.datetime
) -> str:
    if payment.status in OPEN_STATUSES:
        return _finish(
            attempt,
            worker_id=worker_id,
            status=AttemptStatus.WAITING,
            next_try_at=now + WAIT_RECHECK,
        )
    if payment.status == PaymentStatus.DECLINED:
        soft = payment.decline_code in SOFT_DECLINE_CODES
        return _declined(attempt, soft=soft, worker_id=worker_id, now=now, paid=payment)
    subscription = Subscription.objects.select_related("device__owner", "autorenew_plan").get(
        pk=attempt.subscription_id
    )
    with transaction.atomic():
        notice_send(
            subscription=subscription,
            period_end=attempt.period_end,
            kind=RenewalNoticeKind.SUCCEEDED,
            extra=_paid_context(payment) | {"new_end": subscription.ends_at},
        )
        return _finish(attempt, worker_id=worker_id, status=AttemptStatus.SUCCEEDED)


def _paid_context(payment: Payment | None) -> dict[str, object]:
    if payment is None:
        return {"paid": "", "paid_brand": "", "paid_last4": ""}
    from plugline.core.money import money_format

    language = getattr(payment.user, "language", None)
    return {
        "paid": money_format(payment.amount, payment.currency, language),
        "paid_brand": payment.card_brand,
        "paid_last4": payment.card_last4,
    }


def retry_at(*, attempts: int, now: dt.datetime, period_end: dt.datetime) -> dt.datetime | None:
    """When to try again after `attempts` tries softly declined; None once the grace is over."""
    if attempts < 1 or attempts > len(RETRY_BACKOFF_DAYS):
        return None
    when = now + dt.timedelta(days=RETRY_BACKOFF_DAYS[attempts - 1])
    if when >= period_end + dt.timedelta(days=settings.BILLING_GRACE_DAYS):
        return None
    return when


def _declined(
    attempt: RenewalAttempt,
    *,
    soft: bool,
    worker_id: str,
    now: dt.datetime,
    paid: Payment | None,
) -> str:
    if paid is None:
        # No card (or none usable): counts as a try, with no payment.
        attempt.attempts += 1
        RenewalAttempt.objects.filter(pk=attempt.pk).update(attempts=attempt.attempts)
    when = (
        retry_at(attempts=attempt.attempts, now=now, period_end=attempt.period_end)
        if soft
        else None
    )
    subscription = Subscription.objects.select_related("device__owner", "autorenew_plan").get(
        pk=attempt.subscription_id
    )
    context = _paid_context(paid) | {"retry_at": when}
    with transaction.atomic():
        first = notice_send(
            subscription=subscription,
            period_end=attempt.period_end,
            kind=RenewalNoticeKind.FAILED,
            extra=context,
        )
        if when is None and not first and attempt.attempts > 1:
            notice_send(
                subscription=subscription,
                period_end=attempt.period_end,
                kind=RenewalNoticeKind.FAILED_FINAL,
                extra=context,
            )
        if when is None:
            return _finish(attempt, worker_id=worker_id, status=AttemptStatus.FAILED)
        return _finish(attempt, worker_id=worker_id, status=AttemptStatus.RETRY, next_try_at=when)


def _work(
    *,
    now: dt.datetime,
    batch: int,
    worker_id: str,
    result: RunResult,
    lock: threading.Lock,
    charges_at_once: int,
) -> None:
    while True:
        ids = renewals_claim(now=now, batch=batch, worker_id=worker_id)
        if not ids:
            return
        try:
            outcomes = renewal_attempts_process(
                ids, worker_id=worker_id, now=now, charges_at_once=charges_at_once
            )
        except Exception:
            logger.exception("renewal attempts %s failed together; each on its own", ids)
            # One at a time, so that one that fails holds back none of the others (a
            # payment the batch made already is acted on, never charged with a new key).
            outcomes = [_one(attempt_id, worker_id=worker_id, now=now) for attempt_id in ids]
        with lock:
            result.outcomes.update(outcomes)


def _one(attempt_id: int, *, worker_id: str, now: dt.datetime) -> str:
    try:
        return renewal_attempt_process(attempt_id, worker_id=worker_id, now=now)
    except Exception:
        # Left claimed: a later run takes it up once the lease runs out.
        logger.exception("renewal attempt %s failed", attempt_id)
        return "error"


def renewal_run(
    *,
    now: dt.datetime | None = None,
    batch: int = 20,
    worker_id: str | None = None,
    threads: int = 1,
    charges_at_once: int = 1,
) -> RunResult:
    """Renew every subscription due; safe to run on many machines at once.

    With `threads` > 1 the attempts are worked by that many threads, each
    claiming `batch` attempts at a time on its own database connection.
    `charges_at_once`: how many charges of a batch are sent to the gateway
    together (its latency waited once for them; a worker killed meanwhile
    leaves all of them to the settle job).
    """
    now = now or timezone.now()
    worker_id = worker_id or worker_id_new()
    result = RunResult(enqueued=renewals_enqueue(now=now))
    lock = threading.Lock()
    if threads <= 1:
        _work(
            now=now,
            batch=batch,
            worker_id=worker_id,
            result=result,
            lock=lock,
            charges_at_once=charges_at_once,
        )
        return result

    def thread_main(index: int) -> None:
        try:
            _work(
                now=now,
                batch=batch,
                worker_id=f"{worker_id}/{index}",
                result=result,
                lock=lock,
                charges_at_once=charges_at_once,
            )
        finally:
            connections.close_all()

    workers = [
        threading.Thread(target=thread_main, args=(index,), name=f"renewals-{index}")
        for index in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return result


def autorenew_run_job() -> int:
    """The periodic job (every 10 minutes): how many attempts it worked."""
    return renewal_run(
        threads=RUN_JOB_THREADS, batch=RUN_JOB_BATCH, charges_at_once=RUN_JOB_BATCH
    ).processed
