"""A top-up paid from two processes at once, on PostgreSQL: the same form sent twice (a double
click), and two pages of the same account (two tabs).

Each gives exactly one charge at the (sandbox) gateway, one payment and one credit in the
ledger: one audit event of the payment, one receipt.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Subscriber, make_subscriber
from plugline.billing.models import Payment, PaymentStatus
from plugline.billing.payments import idempotency_key_new
from plugline.billing.tests.test_pay_race_postgres import run_payers, visa_on_file
from plugline.core.models import AuditAction, AuditEvent
from plugline.core.tests.racing import Worker, needs_postgres, worker_start
from plugline.minutes.models import MinutesEntry, MinutesTopUp
from plugline.minutes.selectors import minutes_balance
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def start_payer(
    name: str, sync_dir: Path, subscriber: Subscriber, card_id: int, key: str
) -> Worker:
    return worker_start(
        "plugline.minutes.tests.top_up_worker", name, sync_dir, subscriber.user.pk, card_id, key, 0
    )


@pytest.fixture
def alice_paying(db: None) -> tuple[Subscriber, int]:
    """Alice with a card on file and no top-up yet; the card's id."""
    psp.config_set(latency_ms=300, timeout_rate=0.0, failure_rate=0.0)  # Pay twice mid-charge
    alice = make_subscriber()
    return alice, visa_on_file(alice).pk


def credited_once(alice: Subscriber) -> None:
    assert SandboxCharge.objects.count() == 1
    [payment] = Payment.objects.filter(status=PaymentStatus.SUCCEEDED)
    assert MinutesTopUp.objects.get().payment == payment
    assert MinutesEntry.objects.get().payment == payment
    assert minutes_balance(user=alice.user) == 1000
    assert AuditEvent.objects.filter(action=AuditAction.PAYMENT_SUCCEEDED).count() == 1
    assert OutboxMessage.objects.filter(template="billing/email/receipt").count() == 1


def test_the_same_form_sent_twice_at_once_charges_once_and_credits_once(
    tmp_path: Path, alice_paying: tuple[Subscriber, int]
) -> None:
    alice, card_id = alice_paying
    key = idempotency_key_new()
    results = run_payers(
        tmp_path, [start_payer(str(n), tmp_path, alice, card_id, key) for n in range(2)]
    )
    for returncode, _out, err in results:
        assert returncode == 0, err
    answers = [json.loads(finished.lines()[-1]) for finished in results]
    # Both clicks end on the minutes page, which says the balance grew.
    assert {answer["location"] for answer in answers} == {"/account/minutes/"}
    assert Payment.objects.get().idempotency_key == key
    credited_once(alice)


def test_two_tabs_paying_at_once_charge_once_and_credit_once(
    tmp_path: Path, alice_paying: tuple[Subscriber, int]
) -> None:
    alice, card_id = alice_paying
    results = run_payers(
        tmp_path,
        [start_payer(str(n), tmp_path, alice, card_id, idempotency_key_new()) for n in range(2)],
    )
    for returncode, _out, err in results:
        assert returncode == 0, err
    assert Payment.objects.count() == 1  # the refused tab wrote nothing
    credited_once(alice)
