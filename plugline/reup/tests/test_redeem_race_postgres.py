"""50 redemptions of one PIN at once, from two accounts in separate processes, on PostgreSQL
(a card of service, and a card of international minutes).

Two processes (one per account), 25 threads each with its own database
connection, all started by one go signal: exactly one redemption succeeds,
exactly one period exists, and the winner's device moved its end date once.
The rate limits are lifted so that only the race decides.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import make_subscriber
from plugline.billing.models import Subscription, SubscriptionPeriod
from plugline.billing.periods import add_months
from plugline.billing.tests.factories import make_plan, subscription_make
from plugline.core.models import AuditAction, AuditEvent
from plugline.core.tests.racing import (
    Worker,
    needs_postgres,
    worker_start,
    workers_finish,
    workers_stopped_after,
    workers_wait,
)
from plugline.minutes.models import MinutesEntry
from plugline.minutes.selectors import minutes_balance
from plugline.notifications.models import OutboxMessage
from plugline.reup.models import ReupCardStatus
from plugline.reup.tests.factories import make_activated_card, make_activated_minutes_card

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

THREADS = 25  # per process, one process per account: 50 redemptions


def start_worker(name: str, sync_dir: Path, user_id: int, device_id: int, pin: str) -> Worker:
    return worker_start(
        "plugline.reup.tests.redeem_worker",
        name,
        sync_dir,
        user_id,
        device_id,
        THREADS,
        pin,
        env={
            # No limits: the race alone decides who wins. (With limits, however
            # high, 50 tries at the same instant queue for the limits' lock in
            # the database cache, and those kept waiting over a second are
            # throttled; guarding is tested in test_redeem_limits.)
            "REUP_REDEEM_RATE_LIMITS": "",
            "REUP_REDEEM_GLOBAL_RATE_LIMITS": "",
        },
    )


def test_it_lets_exactly_one_of_50_simultaneous_redemptions_of_a_pin_succeed(tmp_path: Path):
    alice = make_subscriber()
    bob = make_subscriber("bob@example.com", numbers=("+13105550100",), language="fr")
    ends = {
        subscriber.user.pk: subscription_make(subscriber.devices[0], days_left=20).ends_at
        for subscriber in (alice, bob)
    }
    card, pin = make_activated_card(plan=make_plan("1-year", months=12))
    workers = [
        start_worker(name, tmp_path, subscriber.user.pk, subscriber.devices[0].pk, pin)
        for name, subscriber in (("alice", alice), ("bob", bob))
    ]
    with workers_stopped_after(workers):
        workers_wait(
            [tmp_path / f"ready-{name}" for name in ("alice", "bob")], workers, timeout=120
        )
        (tmp_path / "go").touch()
        results = workers_finish(workers, timeout=180)
    for result in results:
        assert result.returncode == 0, result.err
    answers = [json.loads(line) for result in results for line in result.lines()]

    assert len(answers) == 2 * THREADS
    won = [answer for answer in answers if answer["failure"] is None]
    assert len(won) == 1
    # Everyone else was told "this PIN can't be used", none merely throttled.
    assert sorted({answer["failure"] for answer in answers if answer["failure"]}) == ["refused"]
    period = SubscriptionPeriod.objects.get()
    assert period.pk == won[0]["period"]
    card.refresh_from_db()
    assert card.status == ReupCardStatus.REDEEMED and card.period == period
    winner = card.redeemed_by
    assert winner is not None
    for subscriber in (alice, bob):
        subscription = Subscription.objects.get(device=subscriber.devices[0])
        start = ends[subscriber.user.pk]
        assert start is not None
        expected = add_months(start, 12) if subscriber.user == winner else start
        assert subscription.ends_at == expected
    assert AuditEvent.objects.filter(action=AuditAction.REUP_CARD_REDEEMED).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.SUBSCRIPTION_EXTENDED).count() == 1
    assert OutboxMessage.objects.filter(template="reup/email/redeemed").count() == 1


def test_it_credits_a_minutes_card_once_of_50_simultaneous_redemptions(tmp_path: Path):
    alice = make_subscriber()
    bob = make_subscriber("bob@example.com", numbers=("+13105550100",), language="fr")
    card, pin = make_activated_minutes_card(amount=1000)
    workers = [
        start_worker(name, tmp_path, subscriber.user.pk, subscriber.devices[0].pk, pin)
        for name, subscriber in (("alice", alice), ("bob", bob))
    ]
    with workers_stopped_after(workers):
        workers_wait(
            [tmp_path / f"ready-{name}" for name in ("alice", "bob")], workers, timeout=120
        )
        (tmp_path / "go").touch()
        results = workers_finish(workers, timeout=180)
    for result in results:
        assert result.returncode == 0, result.err
    answers = [json.loads(line) for result in results for line in result.lines()]

    assert len(answers) == 2 * THREADS
    assert len([answer for answer in answers if answer["failure"] is None]) == 1
    entry = MinutesEntry.objects.get()
    card.refresh_from_db()
    assert card.status == ReupCardStatus.REDEEMED and card.minutes_entry == entry
    assert card.redeemed_by_id == entry.user_id
    balances = sorted(minutes_balance(user=s.user) for s in (alice, bob))
    assert balances == [0, 1000]
    assert AuditEvent.objects.filter(action=AuditAction.REUP_CARD_REDEEMED).count() == 1
    assert OutboxMessage.objects.filter(template="reup/email/redeemed_minutes").count() == 1
