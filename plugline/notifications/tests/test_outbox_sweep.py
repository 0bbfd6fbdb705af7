"""The sweep finds messages whose delivery task was lost and queues them again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from conftest import Subscriber
from plugline.notifications import services
from plugline.notifications.models import OutboxMessage, OutboxStatus
from plugline.notifications.services import (
    CLAIM_TIMEOUT,
    SWEEP_GRACE,
    email_send,
    outbox_claim,
    outbox_deliver,
    outbox_sweep,
)
from plugline.notifications.tests.smtp import SMTPServer
from plugline.notifications.tests.worker import queued_deliveries

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen_clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def write_email(subscriber: Subscriber) -> OutboxMessage:
    """A message written at the current time; its delivery task is never queued
    here (the test's transaction does not commit), as if it had been lost."""
    return email_send(
        template="account/email/password_reset_key",
        to=subscriber.email,
        context={
            "user": subscriber.user,
            "password_reset_url": "https://x.example/r/",
            "reset_link_hours": 1,
        },
        language="en",
        user=subscriber.user,
    )


def test_it_requeues_a_message_whose_worker_died_while_sending(
    alice: Subscriber, frozen_clock, smtp_server: SMTPServer
):
    message = write_email(alice)
    assert outbox_claim(message_id=message.pk, now=T0)  # then the worker dies

    assert outbox_sweep(now=T0 + CLAIM_TIMEOUT - timedelta(seconds=1)) == 0
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENDING

    frozen_clock.move_to(T0 + CLAIM_TIMEOUT + timedelta(seconds=1))
    assert outbox_sweep() == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.claimed_until is None
    assert queued_deliveries() == [message.pk]

    assert outbox_deliver(message_id=message.pk) is True
    assert [received["To"] for received in smtp_server.messages] == ["alice@example.com"]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)


def test_it_requeues_an_overdue_message_once_per_grace_period(alice: Subscriber, frozen_clock):
    overdue = write_email(alice)
    frozen_clock.move_to(T0 + timedelta(minutes=1))
    recent = write_email(alice)  # its task may simply be waiting for a worker

    frozen_clock.move_to(T0 + SWEEP_GRACE)
    assert outbox_sweep() == 1
    assert queued_deliveries() == [overdue.pk]

    frozen_clock.shift(SWEEP_GRACE - timedelta(seconds=1))
    assert outbox_sweep() == 1
    assert queued_deliveries() == [overdue.pk, recent.pk]

    # The requeued tasks are lost too: each message is queued again after a grace period.
    frozen_clock.shift(timedelta(seconds=1))
    assert outbox_sweep() == 1
    assert queued_deliveries() == [overdue.pk, overdue.pk, recent.pk]


def test_it_leaves_sent_failed_and_future_messages_alone(alice: Subscriber, frozen_clock):
    sent, failed, retrying = write_email(alice), write_email(alice), write_email(alice)
    OutboxMessage.objects.filter(pk=sent.pk).update(status=OutboxStatus.SENT)
    OutboxMessage.objects.filter(pk=failed.pk).update(status=OutboxStatus.FAILED)
    OutboxMessage.objects.filter(pk=retrying.pk).update(next_attempt_at=T0 + timedelta(hours=6))

    assert outbox_sweep(now=T0 + timedelta(hours=6)) == 0
    assert outbox_sweep(now=T0 + timedelta(hours=6) + SWEEP_GRACE) == 1
    assert queued_deliveries() == [retrying.pk]


def test_it_queues_a_message_once_when_two_sweeps_overlap(
    alice: Subscriber, frozen_clock, monkeypatch
):
    """Two schedulers whose ticks straddle a minute run two sweeps at once."""
    first, second = write_email(alice), write_email(alice)
    sweep_at = T0 + SWEEP_GRACE + timedelta(minutes=1)
    enqueue = services._enqueue_delivery
    other_sweep: list[int] = []

    def enqueue_then_let_the_other_sweep_run(message_id: int, run_after=None) -> None:
        enqueue(message_id, run_after)
        if not other_sweep:  # once, between the first sweep's list and its requeues
            other_sweep.append(0)
            other_sweep[0] = outbox_sweep(now=sweep_at + timedelta(seconds=1))

    monkeypatch.setattr(services, "_enqueue_delivery", enqueue_then_let_the_other_sweep_run)
    swept = outbox_sweep(now=sweep_at)

    assert swept + other_sweep[0] == 2
    assert queued_deliveries() == [first.pk, second.pk]
