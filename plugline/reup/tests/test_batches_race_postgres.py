"""Downloads of one printer file at the same moment, on PostgreSQL: PINs for exactly one.

Each thread has its own database connection (its own session), released at
the same instant by a barrier, as two staff members (or two tabs) clicking
"Download printer file" together. The same for the till: one card activated
and voided at once by two requests ends in one state, audited once each way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection

from plugline.core.models import AuditAction, AuditEvent
from plugline.core.tests.racing import needs_postgres
from plugline.reup import pins
from plugline.reup.models import ReupCardStatus
from plugline.reup.services import (
    BatchAlreadyExported,
    CardConflict,
    PrinterFile,
    api_key_create,
    batch_export,
    card_activate,
    card_void,
)
from plugline.reup.tests.factories import make_batch, make_chain

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 5
THREADS = 4


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = calls[index]()
        except Exception as error:
            results[index] = error
        finally:
            from django.db import connections

            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_it_gives_the_pins_to_exactly_one_of_simultaneous_downloads() -> None:
    assert connection.vendor == "postgresql"
    for _round in range(ROUNDS):
        batch = make_batch(count=200)

        results = at_once([partial(batch_export, batch=batch)] * THREADS)

        files = [result for result in results if isinstance(result, PrinterFile)]
        refused = [result for result in results if isinstance(result, BatchAlreadyExported)]
        assert (len(files), len(refused)) == (1, THREADS - 1), results
        by_serial = dict(files[0].rows)
        cards = list(batch.cards.all())
        assert len(by_serial) == len(cards) == 200
        for card in cards:
            assert card.pin_hash == pins.pin_hash(by_serial[card.serial])
    assert AuditEvent.objects.filter(action=AuditAction.REUP_BATCH_EXPORTED).count() == ROUNDS


def test_it_ends_a_card_activated_and_voided_at_once_in_one_state() -> None:
    key, _plaintext = api_key_create(chain=make_chain("kwik"), name="Till")
    for _round in range(ROUNDS):
        batch = make_batch(chain=key.chain, count=1)
        batch_export(batch=batch)
        serial = batch.cards.get().serial
        AuditEvent.objects.all().delete()

        activate = partial(card_activate, key=key, serial=serial)
        void = partial(card_void, key=key, serial=serial)

        results = at_once([activate, void, activate, void])

        card = batch.cards.get()
        assert card.status == ReupCardStatus.VOIDED
        assert not [
            r for r in results if isinstance(r, Exception) and not isinstance(r, CardConflict)
        ]
        # Voided by the first void; activated once before it, or never.
        assert AuditEvent.objects.filter(action=AuditAction.REUP_CARD_VOIDED).count() == 1
        assert AuditEvent.objects.filter(action=AuditAction.REUP_CARD_ACTIVATED).count() <= 1
