"""Batches: the cards a batch makes, its printer file once, the database without a PIN."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from typing import Any

import pytest
from django.apps import apps
from django.core import serializers

from plugline.billing.tests.factories import make_plan
from plugline.core.models import AuditAction, AuditEvent
from plugline.reup import pins
from plugline.reup.models import ReupCard, ReupCardStatus
from plugline.reup.services import (
    BatchAlreadyExported,
    ReupError,
    batch_create,
    batch_export,
    batch_void,
)
from plugline.reup.tests.factories import make_activated_card, make_batch, make_chain

pytestmark = pytest.mark.django_db


def database_dump() -> str:
    """Every row of every table, as JSON: what a copy of the database would hold."""
    out = []
    for model in apps.get_models():
        out.append(serializers.serialize("json", model._default_manager.all()))
    return "\n".join(out)


def test_it_makes_the_batch_cards_printed_with_unique_serials_and_no_pin() -> None:
    batch = batch_create(chain=make_chain("kwik"), plan=make_plan(), count=50, note="Spring")

    cards = list(batch.cards.all())
    assert len(cards) == 50
    assert {card.status for card in cards} == {ReupCardStatus.PRINTED}
    assert len({card.serial for card in cards}) == 50
    assert all(card.serial.startswith("RU") and len(card.serial) == 12 for card in cards)
    assert all(card.pin_hash is None for card in cards)
    event = AuditEvent.objects.get(action=AuditAction.REUP_BATCH_CREATED)
    assert event.data == {"batch": batch.pk, "chain": "kwik", "plan": "1-year", "count": 50}


def test_it_makes_ten_thousand_cards_in_one_batch() -> None:
    batch = make_batch(count=10_000)

    assert ReupCard.objects.filter(batch=batch).values("serial").distinct().count() == 10_000


@pytest.mark.parametrize("count", [0, -1, 100_001])
def test_it_refuses_a_count_out_of_range(count: int) -> None:
    with pytest.raises(ReupError, match="between 1 and 100000"):
        make_batch(count=count)


def test_it_gives_each_card_a_pin_once_stored_only_as_its_keyed_hash() -> None:
    batch = make_batch(count=20)

    printer_file = batch_export(batch=batch)

    assert len(printer_file.rows) == 20
    by_serial = dict(printer_file.rows)
    for card in batch.cards.all():
        pin = by_serial[card.serial]
        assert pins.pin_normalize(pin) == pin
        assert card.pin_hash == pins.pin_hash(pin)
    assert len(set(by_serial.values())) == 20
    batch.refresh_from_db()
    assert batch.exported_at is not None


def test_it_hashes_the_pins_with_the_key_from_the_settings(settings: Any) -> None:
    settings.REUP_PIN_KEY = "printer-test-key"
    batch = make_batch(count=3)

    printer_file = batch_export(batch=batch)

    stored = dict(batch.cards.values_list("serial", "pin_hash"))
    for serial, pin in printer_file.rows:
        keyed = hmac.new(b"printer-test-key", pin.encode(), hashlib.sha256).hexdigest()
        assert stored[serial] == keyed
        assert stored[serial] != hashlib.sha256(pin.encode()).hexdigest()


def test_it_refuses_a_second_export_and_says_why() -> None:
    batch = make_batch(count=3)
    batch_export(batch=batch)
    hashes_before = set(batch.cards.values_list("pin_hash", flat=True))

    with pytest.raises(BatchAlreadyExported, match="cannot be shown again"):
        batch_export(batch=batch)

    assert set(batch.cards.values_list("pin_hash", flat=True)) == hashes_before
    assert AuditEvent.objects.filter(action=AuditAction.REUP_BATCH_EXPORTED).count() == 1


def test_it_keeps_no_pin_in_clear_anywhere_in_the_database() -> None:
    batch = make_batch(count=30)
    printer_file = batch_export(batch=batch)
    make_activated_card()

    dump = database_dump()

    for serial, pin in printer_file.rows:
        assert serial in dump
        assert pin not in dump
        assert pins.pin_display(pin) not in dump


def test_it_writes_the_printer_file_with_serial_pin_plan_and_chain() -> None:
    batch = make_batch(chain=make_chain("kwik"), plan=make_plan("3-months", months=3), count=2)
    printer_file = batch_export(batch=batch)

    out = io.StringIO()
    printer_file.write_csv(out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "serial,pin,plan,chain"
    assert sorted(lines[1:]) == sorted(
        f"{serial},{pin},3-months,kwik" for serial, pin in printer_file.rows
    )


def test_it_audits_the_export_without_a_pin() -> None:
    batch = make_batch(count=5)
    printer_file = batch_export(batch=batch)

    event = AuditEvent.objects.get(action=AuditAction.REUP_BATCH_EXPORTED)
    assert event.data == {"batch": batch.pk, "chain": batch.chain.code, "cards": 5}
    text = json.dumps(event.data)
    assert not any(pin in text for _serial, pin in printer_file.rows)


def test_it_voids_the_unsold_cards_of_a_batch_and_leaves_the_sold_ones() -> None:
    batch = make_batch(count=4)
    batch_export(batch=batch)
    sold = batch.cards.first()
    assert sold is not None
    ReupCard.objects.filter(pk=sold.pk).update(status=ReupCardStatus.ACTIVATED)

    assert batch_void(batch=batch) == 3

    statuses = dict(batch.cards.values_list("serial", "status"))
    assert statuses.pop(sold.serial) == ReupCardStatus.ACTIVATED
    assert set(statuses.values()) == {ReupCardStatus.VOIDED}
    assert AuditEvent.objects.get(action=AuditAction.REUP_CARD_VOIDED).data["cards"] == 3
