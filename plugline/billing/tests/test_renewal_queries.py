"""The renewal run's cost in statements: what a batch needs is read once, and each renewal
of the batch adds the same small number of statements (most of them the sandbox gateway's
own, which a real gateway runs on its side)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import make_subscriber
from plugline.billing.models import Plan, Subscription
from plugline.billing.renewals import renewal_run
from plugline.billing.tests.factories import CARD_SUCCEEDS, card_on_file, plan_make
from plugline.sandbox_gateway.models import SandboxCharge

# Statements each renewal adds (savepoints counted, as a test runs in a transaction):
# Plugline's (the payment and its item written before the charge, the claim pointed at it:
# 8) and the sandbox gateway's (11).
STATEMENTS_PER_RENEWAL = 19


def due(count: int, start: int) -> None:
    plan = Plan.objects.filter(code="year").first() or plan_make()
    for index in range(start, start + count):
        subscriber = make_subscriber(f"due{index}@example.com", numbers=(f"+1212555{index:04d}",))
        card_on_file(subscriber.user, CARD_SUCCEEDS)
        Subscription.objects.create(
            device=subscriber.devices[0],
            ends_at=timezone.now() + timedelta(days=2),
            autorenew=True,
            autorenew_plan=plan,
        )


def run_counted(count: int, start: int) -> list[str]:
    due(count, start)
    with CaptureQueriesContext(connection) as queries:
        assert renewal_run(batch=20).outcomes == {"succeeded": count}
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.django_db
def test_it_renews_a_batch_at_a_constant_small_number_of_statements_per_renewal(
    gateway: object,
) -> None:
    few = run_counted(4, 0)
    many = run_counted(12, 100)
    assert SandboxCharge.objects.filter(status="succeeded").count() == 16
    # Prices, default cards and customers at the gateway: read once per batch.
    for table in ("billing_planprice", "billing_paymentmethod", "billing_customeraccount"):
        assert sum(f'FROM "{table}"' in sql for sql in many) == 1, table
    # Each renewal more costs the same few statements.
    assert len(many) - len(few) <= 8 * STATEMENTS_PER_RENEWAL


@pytest.mark.django_db
def test_it_renews_a_batch_sent_to_the_gateway_together_in_the_same_statements_whatever_its_size(
    gateway: object,
) -> None:
    def counted(count: int, start: int) -> list[str]:
        due(count, start)
        with CaptureQueriesContext(connection) as queries:
            outcomes = renewal_run(batch=20, charges_at_once=20).outcomes
        assert outcomes == {"succeeded": count}
        return [query["sql"] for query in queries.captured_queries]

    few = counted(4, 0)
    many = counted(12, 100)
    assert SandboxCharge.objects.filter(status="succeeded").count() == 16
    # Payments, items, claims, charges, periods, receipts: each a statement for the batch.
    assert len(many) == len(few)


@pytest.mark.django_db
def test_it_ends_each_renewed_accounts_cached_pages_once_per_batch(
    gateway: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plugline.core import account_pages

    due(4, 0)
    changed: list[str] = []
    real = account_pages._new_generations

    def counted(keys: list[str]) -> None:
        changed.extend(keys)
        real(keys)

    monkeypatch.setattr(account_pages, "_new_generations", counted)
    assert renewal_run(batch=20, charges_at_once=20).outcomes == {"succeeded": 4}
    # Their services extended and their invoices numbered: one change of each account's
    # generation (and one more once the batch commits), not one for each.
    assert len(changed) == len(set(changed)) == 4
