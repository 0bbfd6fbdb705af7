"""Two runs of the rating (the call record import's job, which rates the calls it ends, then
`manage.py rate_calls`'s backlog) in two processes started at the same moment, on PostgreSQL:
each international call is charged once, and the ledger adds up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import make_subscriber
from plugline.core.tests.racing import (
    needs_postgres,
    worker_start,
    workers_finish,
    workers_stopped_after,
    workers_wait,
)
from plugline.minutes.models import MinutesEntry, MinutesEntryKind
from plugline.minutes.selectors import minutes_balance
from plugline.rates.tests.factories import make_rate
from plugline.telephony.models import CallOutcome, CallRecord, KamailioAcc
from plugline.telephony.tests.sip_factory import make_line

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

CALLS = 40
# Calls that ended before rating was deployed: enough that both backlogs meet on them.
BACKLOG = 3000


def test_two_runs_at_once_charge_each_international_call_once(tmp_path: Path):
    line = make_line(make_subscriber(numbers=()).user)
    user = line.boxed.device.owner
    assert user is not None
    MinutesEntry.objects.create(
        user=user, kind=MinutesEntryKind.TOP_UP, amount=100_000, currency="USD"
    )
    make_rate("44", price_per_minute=60, increments=(1, 1))
    started = timezone.now() - timedelta(hours=1)
    # Calls imported already, each of 10 + n seconds, and Kamailio's rows of 40 more.
    CallRecord.objects.bulk_create(
        CallRecord(
            call_id=f"old-{number}",
            caller="+12125550147",
            callee="+442071234567",
            caller_device=line.boxed.device,
            started_at=started,
            answered_at=started,
            ended_at=started + timedelta(seconds=10 + number % 100),
            duration_seconds=10 + number % 100,
            outcome=CallOutcome.ANSWERED,
            sip_code="200",
        )
        for number in range(BACKLOG)
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

    workers = [
        worker_start("plugline.minutes.tests.rating_worker", name, tmp_path) for name in "ab"
    ]
    with workers_stopped_after(workers):
        workers_wait([tmp_path / "ready-a", tmp_path / "ready-b"], workers)
        (tmp_path / "go").touch()
        finished = workers_finish(workers)
    for result in finished:
        assert result.returncode == 0, result.err
    # The backlogs charged the calls imported before, once between them.
    assert sum(int(result.lines()[-1]) for result in finished) == BACKLOG

    charges = MinutesEntry.objects.filter(kind=MinutesEntryKind.CALL_CHARGE)
    assert charges.count() == BACKLOG + CALLS
    assert charges.values("call_record").distinct().count() == BACKLOG + CALLS
    seconds = sum(10 + number % 100 for number in range(BACKLOG))
    seconds += sum(10 + number for number in range(CALLS))
    assert minutes_balance(user=user) == 100_000 - seconds
