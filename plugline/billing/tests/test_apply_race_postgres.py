"""Two workers applying payments at the same moment, in two processes, on PostgreSQL.

The same payment item applied by both (a double-clicked Pay, a webhook and
the request, two renewal workers) extends the subscription once; two
different items on the same subscription both extend it, one after the
other, with no extension lost.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import make_subscriber
from plugline.billing.models import SubscriptionPeriod
from plugline.billing.periods import add_months
from plugline.billing.services import subscription_for_device
from plugline.billing.tests.factories import make_paid_item, make_plan
from plugline.core.tests.racing import (
    needs_postgres,
    worker_start,
    workers_finish,
    workers_stopped_after,
    workers_wait,
)

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

SAME_ITEM_ROUNDS = 6
DIFFERENT_ITEM_ROUNDS = 2


def start_worker(name: str, sync_dir: Path, item_ids: list[int]):
    return worker_start("plugline.billing.tests.apply_race", name, sync_dir, *item_ids)


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
    with workers_stopped_after(workers):
        for round_number in range(SAME_ITEM_ROUNDS + DIFFERENT_ITEM_ROUNDS):
            workers_wait([tmp_path / f"ready-{name}-{round_number}" for name in "ab"], workers)
            (tmp_path / f"go-{round_number}").touch()
        results = workers_finish(workers)
    for result in results:
        assert result.returncode == 0, result.err
    answers = [[json.loads(line) for line in result.lines()] for result in results]
    for round_number in range(SAME_ITEM_ROUNDS):
        # Both were told of the same period: the one made by whoever came first.
        assert answers[0][round_number]["period"] == answers[1][round_number]["period"]
    # One period per item, and every one of them counted: 6 + 2 + 2 years.
    items = SAME_ITEM_ROUNDS + 2 * DIFFERENT_ITEM_ROUNDS
    assert SubscriptionPeriod.objects.filter(subscription=subscription).count() == items
    subscription.refresh_from_db()
    assert subscription.ends_at == add_months(ends_at, 12 * items)
