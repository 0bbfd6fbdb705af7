"""Two runs of the call record import's job (which rates the calls after importing them), in
two processes started at the same moment, on PostgreSQL: each international call is charged
once, and the ledger adds up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import make_subscriber
from plugline.core.tests.racing import needs_postgres
from plugline.minutes.models import MinutesEntry, MinutesEntryKind
from plugline.minutes.selectors import minutes_balance
from plugline.rates.tests.factories import make_rate
from plugline.telephony.models import CallOutcome, CallRecord, KamailioAcc
from plugline.telephony.tests.sip_factory import make_line
from plugline.telephony.tests.test_call_import_race_postgres import imports_race

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

CALLS = 40


def test_two_runs_at_once_charge_each_international_call_once(tmp_path: Path):
    line = make_line(make_subscriber(numbers=()).user)
    user = line.boxed.device.owner
    assert user is not None
    MinutesEntry.objects.create(
        user=user, kind=MinutesEntryKind.TOP_UP, amount=5000, currency="USD"
    )
    make_rate("44", price_per_minute=60, increments=(1, 1))
    started = timezone.now() - timedelta(hours=1)
    # Calls imported already, each of 10 + n seconds, and Kamailio's rows of as many more.
    CallRecord.objects.bulk_create(
        CallRecord(
            call_id=f"old-{number}",
            caller="+12125550147",
            callee="+442071234567",
            caller_device=line.boxed.device,
            started_at=started,
            answered_at=started,
            ended_at=started + timedelta(seconds=10 + number),
            duration_seconds=10 + number,
            outcome=CallOutcome.ANSWERED,
            sip_code="200",
        )
        for number in range(CALLS)
    )
    at = int(started.timestamp())
    KamailioAcc.objects.bulk_create(
        row
        for number in range(CALLS)
        for row in (
            KamailioAcc(
                method="INVITE",
                callid=f"new-{number}",
                sip_code="200",
                caller="12125550147",
                callee="442071234567",
                invite_ts=str(at),
                event_ts=str(at),
            ),
            KamailioAcc(
                method="BYE", callid=f"new-{number}", sip_code="200", event_ts=str(at + 10 + number)
            ),
        )
    )

    assert imports_race(tmp_path) == CALLS

    charges = MinutesEntry.objects.filter(kind=MinutesEntryKind.CALL_CHARGE)
    assert charges.count() == 2 * CALLS
    assert charges.values("call_record").distinct().count() == 2 * CALLS
    seconds = 2 * sum(10 + number for number in range(CALLS))
    assert minutes_balance(user=user) == 5000 - seconds
