"""Low-balance runs started at once in separate processes, on PostgreSQL: each account below
its threshold is charged once, whichever worker sees it first (the crossing's attempt is
unique, claims are exclusive)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_subscriber
from plugline.billing.tests.factories import card_on_file
from plugline.billing.tests.test_pay_race_postgres import run_payers
from plugline.core.tests.racing import needs_postgres, worker_start
from plugline.minutes.low_balance import low_balance_set
from plugline.minutes.models import LowBalanceAttempt, MinutesEntry
from plugline.minutes.selectors import minutes_balance
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 3


def test_three_runs_at_once_charge_each_account_once(tmp_path: Path) -> None:
    psp.config_set(latency_ms=200, timeout_rate=0.0, failure_rate=0.0)
    subscribers = [
        make_subscriber(f"holder{n}@example.com", numbers=(f"+1212555{n:04d}",)) for n in range(4)
    ]
    for subscriber in subscribers:
        card_on_file(subscriber.user)
        low_balance_set(
            user=subscriber.user, enabled=True, threshold=200, amount=1000, monthly_cap=5000
        )
    results = run_payers(
        tmp_path,
        [
            worker_start("plugline.minutes.tests.low_balance_worker", str(n), tmp_path)
            for n in range(WORKERS)
        ],
    )
    for returncode, _out, err in results:
        assert returncode == 0, err

    assert SandboxCharge.objects.count() == len(subscribers)
    assert LowBalanceAttempt.objects.count() == len(subscribers)
    assert MinutesEntry.objects.count() == len(subscribers)
    for subscriber in subscribers:
        assert minutes_balance(user=subscriber.user) == 1000
