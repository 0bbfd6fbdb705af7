"""Two workers applying payments at the same moment, in two processes, on PostgreSQL.

The same payment item applied by both (a double-clicked Pay, a webhook and
the request, two renewal workers) extends the subscription once; two
different items on the same subscription both extend it, one after the
other, with no extension lost.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from conftest import make_subscriber
from plugline.billing.models import SubscriptionPeriod
from plugline.billing.periods import add_months
from plugline.billing.services import subscription_for_device
from plugline.billing.tests.factories import make_paid_item, make_plan

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="a race between two processes needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

SAME_ITEM_ROUNDS = 6
DIFFERENT_ITEM_ROUNDS = 2


def database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_worker(name: str, sync_dir: Path, item_ids: list[int]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plugline.billing.tests.apply_race",
            name,
            str(sync_dir),
            *map(str, item_ids),
        ],
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "plugline.settings",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )


def wait_for(paths: list[Path], workers: list[subprocess.Popen[str]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not all(path.exists() for path in paths):
        for worker in workers:
            if worker.poll() is not None:
                pytest.fail(f"a worker stopped: {worker.communicate()}")
        assert time.monotonic() < deadline, f"never ready: {paths}"
        time.sleep(0.01)


def test_two_workers_applying_payments_at_once_extend_once_per_item(tmp_path: Path):
    alice = make_subscriber()
    subscription = subscription_for_device(device=alice.devices[0])
    ends_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=20)
    subscription.ends_at = ends_at
    subscription.save()
    plan = make_plan()
    same = [
        make_paid_item(user=alice.user, subscription=subscription, plan=plan).pk
        for _ in range(SAME_ITEM_ROUNDS)
    ]
    first_only = [
        make_paid_item(user=alice.user, subscription=subscription, plan=plan).pk
        for _ in range(DIFFERENT_ITEM_ROUNDS)
    ]
    second_only = [
        make_paid_item(user=alice.user, subscription=subscription, plan=plan).pk
        for _ in range(DIFFERENT_ITEM_ROUNDS)
    ]
    workers = [
        start_worker("a", tmp_path, [*same, *first_only]),
        start_worker("b", tmp_path, [*same, *second_only]),
    ]
    try:
        for round_number in range(SAME_ITEM_ROUNDS + DIFFERENT_ITEM_ROUNDS):
            wait_for([tmp_path / f"ready-{name}-{round_number}" for name in "ab"], workers)
            (tmp_path / f"go-{round_number}").touch()
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for worker, (_, errors) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, errors
    answers = [[json.loads(line) for line in out.splitlines()] for out, _ in outputs]
    for round_number in range(SAME_ITEM_ROUNDS):
        # Both were told of the same period: the one made by whoever came first.
        assert answers[0][round_number]["period"] == answers[1][round_number]["period"]
    # One period per item, and every one of them counted: 6 + 2 + 2 years.
    items = SAME_ITEM_ROUNDS + 2 * DIFFERENT_ITEM_ROUNDS
    assert SubscriptionPeriod.objects.filter(subscription=subscription).count() == items
    subscription.refresh_from_db()
    assert subscription.ends_at == add_months(ends_at, 12 * items)
