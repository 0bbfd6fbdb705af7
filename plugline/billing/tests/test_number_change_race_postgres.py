"""A change of number paid from two processes at once, on PostgreSQL: the same form sent
twice (a double click), and two forms for the same device (two tabs).

Each gives exactly one charge at the (sandbox) gateway and one change of number: one
audit event, one confirmation, one receipt; the old number quarantined once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Subscriber, make_subscriber
from plugline.billing.models import NumberChange, NumberChangeStatus, Payment, PaymentStatus
from plugline.billing.number_changes import number_change_choose
from plugline.billing.payments import idempotency_key_new
from plugline.billing.tests.test_pay_race_postgres import run_payers, visa_on_file
from plugline.core.models import AuditAction, AuditEvent
from plugline.core.tests.racing import Worker, needs_postgres, worker_start
from plugline.devices.models import Device
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge
from plugline.telephony.models import NumberStatus, PhoneNumber, SipAccount

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

OLD = "+12125550147"
NEW = "+13125550199"


def start_payer(
    name: str, sync_dir: Path, subscriber: Subscriber, card_id: int, key: str
) -> Worker:
    return worker_start(
        "plugline.billing.tests.number_change_worker",
        name,
        sync_dir,
        subscriber.user.pk,
        subscriber.devices[0].serial,
        card_id,
        key,
    )


@pytest.fixture
def alice_choosing(db: None) -> tuple[Subscriber, int]:
    """Alice with a card on file, the number NEW chosen for her device; the card's id."""
    psp.config_set(latency_ms=300, timeout_rate=0.0, failure_rate=0.0)  # Pay twice mid-charge
    alice = make_subscriber()
    PhoneNumber.objects.create(
        e164=OLD, country="US", area_code="212", city="New York", status=NumberStatus.ASSIGNED
    )
    PhoneNumber.objects.create(e164=NEW, country="US", area_code="312", city="Chicago")
    card = visa_on_file(alice)
    assert number_change_choose(user=alice.user, device=alice.devices[0], e164=NEW)
    return alice, card.pk


def changed_once(alice: Subscriber) -> None:
    assert SandboxCharge.objects.count() == 1
    [payment] = Payment.objects.filter(status=PaymentStatus.SUCCEEDED)
    assert NumberChange.objects.get(payment=payment).status == NumberChangeStatus.APPLIED
    assert not NumberChange.objects.exclude(payment=payment).exists()
    assert Device.objects.get(pk=alice.devices[0].pk).phone_number == NEW
    assert SipAccount.objects.get(device=alice.devices[0]).username == NEW[1:]
    assert PhoneNumber.objects.get(e164=OLD).status == NumberStatus.QUARANTINED
    assert AuditEvent.objects.filter(action=AuditAction.NUMBER_CHANGED).count() == 1
    assert OutboxMessage.objects.filter(template="billing/email/number_changed").count() == 1
    assert OutboxMessage.objects.filter(template="billing/email/receipt").count() == 1


def test_the_same_form_sent_twice_at_once_charges_once_and_changes_once(
    tmp_path: Path, alice_choosing: tuple[Subscriber, int]
) -> None:
    alice, card_id = alice_choosing
    key = idempotency_key_new()
    results = run_payers(
        tmp_path, [start_payer(str(n), tmp_path, alice, card_id, key) for n in range(2)]
    )
    for returncode, _out, err in results:
        assert returncode == 0, err
    answers = [json.loads(finished.lines()[-1]) for finished in results]
    # Both clicks end on the device's page, which says the number changed.
    assert {answer["location"] for answer in answers} == {f"/devices/{alice.devices[0].serial}/"}
    assert Payment.objects.get().idempotency_key == key
    changed_once(alice)


def test_two_forms_for_one_device_at_once_charge_once_and_change_once(
    tmp_path: Path, alice_choosing: tuple[Subscriber, int]
) -> None:
    alice, card_id = alice_choosing
    results = run_payers(
        tmp_path,
        [start_payer(str(n), tmp_path, alice, card_id, idempotency_key_new()) for n in range(2)],
    )
    for returncode, _out, err in results:
        assert returncode == 0, err
    assert Payment.objects.count() == 1  # the refused form wrote nothing
    changed_once(alice)
