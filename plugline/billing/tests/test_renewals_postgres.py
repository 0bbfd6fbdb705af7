"""The renewal run on PostgreSQL with separate processes: two workers at once, and a
worker killed with SIGKILL between the gateway's answer and the commit.

Each subscription is charged once at the (sandbox) gateway and extended once.
"""

from __future__ import annotations

import json
import signal
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from conftest import make_subscriber
from plugline.billing.models import (
    Payment,
    PaymentStatus,
    Plan,
    RenewalAttempt,
    Subscription,
    SubscriptionPeriod,
)
from plugline.billing.payments import KILL_AFTER_CHARGE_ENV, payments_settle_unknown
from plugline.billing.renewals import AttemptStatus, renewal_run
from plugline.billing.tests.factories import plan_make
from plugline.billing.tests.test_pay_race_postgres import visa_on_file
from plugline.core.tests.racing import (
    Finished,
    Worker,
    needs_postgres,
    worker_start,
    workers_finish,
    workers_stopped_after,
    workers_wait,
)
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def due_subscriptions(count: int) -> list[Subscription]:
    plan = Plan.objects.filter(code="year").first() or plan_make()
    subscriptions = []
    for index in range(count):
        subscriber = make_subscriber(f"renew{index}@example.com", numbers=(f"+1212555{index:04d}",))
        visa_on_file(subscriber)
        subscriptions.append(
            Subscription.objects.create(
                device=subscriber.devices[0],
                ends_at=timezone.now() + timedelta(days=2, minutes=index),
                autorenew=True,
                autorenew_plan=plan,
            )
        )
    return subscriptions


def start_worker(
    name: str, sync: Path, *, threads: int, kill: bool = False, at_once: int = 1
) -> Worker:
    return worker_start(
        "plugline.billing.tests.renewal_worker",
        name,
        sync,
        threads,
        at_once,
        env={KILL_AFTER_CHARGE_ENV: "1"} if kill else {},
    )


def run_workers(sync: Path, workers: list[Worker]) -> list[Finished]:
    with workers_stopped_after(workers):
        workers_wait([sync / f"ready-{n}" for n in range(len(workers))], workers)
        (sync / "go").touch()
        return workers_finish(workers, timeout=180)


def assert_each_charged_and_extended_once(subscriptions: list[Subscription]) -> None:
    for subscription in subscriptions:
        keys = Payment.objects.filter(items__subscription=subscription).values_list(
            "idempotency_key", flat=True
        )
        charges = SandboxCharge.objects.filter(idempotency_key__in=list(keys), status="succeeded")
        assert charges.count() == 1, subscription
        assert SubscriptionPeriod.objects.filter(subscription=subscription).count() == 1
        renewed = Subscription.objects.get(pk=subscription.pk)
        assert subscription.ends_at is not None
        assert renewed.ends_at == subscription.ends_at.replace(year=subscription.ends_at.year + 1)


def test_two_workers_at_once_charge_and_extend_each_subscription_once(tmp_path: Path) -> None:
    subscriptions = due_subscriptions(24)
    psp.config_set(latency_ms=150, webhooks_enabled=False)
    results = run_workers(tmp_path, [start_worker(str(n), tmp_path, threads=3) for n in range(2)])
    for returncode, _out, err in results:
        assert returncode == 0, err
    outcomes = [json.loads(out.splitlines()[-1]) for _code, out, _err in results]
    # Both worked, and between them each subscription once.
    assert all(outcome.get("succeeded") for outcome in outcomes), results
    assert sum(outcome.get("succeeded", 0) for outcome in outcomes) == 24
    assert SandboxCharge.objects.count() == 24
    assert_each_charged_and_extended_once(subscriptions)
    assert OutboxMessage.objects.filter(template="billing/email/autorenew_succeeded").count() == 24


def test_a_worker_killed_mid_run_leaves_nothing_half_done(tmp_path: Path) -> None:
    subscriptions = due_subscriptions(3)
    [(code, _out, _err)] = run_workers(
        tmp_path, [start_worker("0", tmp_path, threads=1, kill=True)]
    )
    assert code == -signal.SIGKILL
    # The gateway charged one; nothing was recorded for it yet.
    [charge] = SandboxCharge.objects.all()
    assert charge.status == "succeeded"
    assert not SubscriptionPeriod.objects.exists()
    assert Payment.objects.get().status == PaymentStatus.PENDING
    # A run right away leaves the dead worker's claims alone (their lease holds).
    assert renewal_run().processed == 0
    # Once the lease has run out: the two untouched are charged; the charged one is
    # settled by asking the gateway, never charged again.
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert renewal_run().outcomes == {AttemptStatus.SUCCEEDED: 2, AttemptStatus.WAITING: 1}
        assert payments_settle_unknown() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
        assert renewal_run().outcomes == {AttemptStatus.SUCCEEDED: 1}
        assert renewal_run().processed == 0
    assert SandboxCharge.objects.count() == 3
    assert set(RenewalAttempt.objects.values_list("status", flat=True)) == {"succeeded"}
    assert_each_charged_and_extended_once(subscriptions)


def test_two_workers_sending_charges_together_charge_and_extend_each_subscription_once(
    tmp_path: Path,
) -> None:
    subscriptions = due_subscriptions(24)
    psp.config_set(latency_ms=150, webhooks_enabled=False)
    workers = [start_worker(str(n), tmp_path, threads=3, at_once=3) for n in range(2)]
    results = run_workers(tmp_path, workers)
    for returncode, _out, err in results:
        assert returncode == 0, err
    outcomes = [json.loads(out.splitlines()[-1]) for _code, out, _err in results]
    assert sum(outcome.get("succeeded", 0) for outcome in outcomes) == 24
    assert SandboxCharge.objects.count() == 24
    assert_each_charged_and_extended_once(subscriptions)
    numbers = sorted(
        number for number in Payment.objects.values_list("invoice_number", flat=True) if number
    )
    assert numbers == list(range(numbers[0], numbers[0] + 24))


def test_a_worker_killed_after_charges_sent_together_leaves_them_to_the_settle_job(
    tmp_path: Path,
) -> None:
    subscriptions = due_subscriptions(3)
    [(code, _out, _err)] = run_workers(
        tmp_path, [start_worker("0", tmp_path, threads=1, kill=True, at_once=3)]
    )
    assert code == -signal.SIGKILL
    # The gateway charged the three sent together; nothing was recorded for them yet.
    assert list(SandboxCharge.objects.values_list("status", flat=True)) == ["succeeded"] * 3
    assert not SubscriptionPeriod.objects.exists()
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.PENDING}
    assert renewal_run().processed == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert renewal_run(charges_at_once=3).outcomes == {AttemptStatus.WAITING: 3}
        assert payments_settle_unknown() == 3
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
        assert renewal_run(charges_at_once=3).outcomes == {AttemptStatus.SUCCEEDED: 3}
    assert SandboxCharge.objects.count() == 3
    assert_each_charged_and_extended_once(subscriptions)


def test_the_periodic_job_sends_the_charges_of_its_batches_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from plugline.billing.gateways.sandbox import SandboxGateway
    from plugline.billing.renewals import autorenew_run_job

    subscriptions = due_subscriptions(5)
    psp.config_set(latency_ms=0, webhooks_enabled=False)
    sent: list[int] = []
    real_charges = SandboxGateway.charges

    def charges(self: SandboxGateway, requests: list[object]) -> object:
        sent.append(len(requests))
        return real_charges(self, requests)  # type: ignore[arg-type]

    monkeypatch.setattr(SandboxGateway, "charges", charges)
    assert autorenew_run_job() == 5
    # Each round trip to the gateway carried several charges, not one each.
    assert sum(sent) == 5 and len(sent) < 5
    assert_each_charged_and_extended_once(subscriptions)
