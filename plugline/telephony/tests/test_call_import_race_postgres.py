"""Two call record imports, in two processes, started at the same moment on the same rows
of Kamailio's accounting and blocked calls: each call is recorded once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import make_subscriber
from plugline.core.tests.racing import (
    needs_postgres,
    worker_start,
    workers_finish,
    workers_stopped_after,
    workers_wait,
)
from plugline.telephony.models import BlockedCall, CallOutcome, CallRecord, KamailioAcc
from plugline.telephony.tests.sip_factory import make_line

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

CALLS = 40


def accounted_call(number: int, *, at: int) -> list[KamailioAcc]:
    """The rows Kamailio writes for an answered call from +12125550147 to +13105550100."""
    common = {"callid": f"call-{number}@127.0.0.1", "from_tag": "a", "to_tag": "b"}
    return [
        KamailioAcc(
            method="INVITE",
            sip_code="200",
            sip_reason="OK",
            caller="12125550147",
            callee="13105550100",
            invite_ts=str(at),
            event_ts=str(at + 3),
            **common,
        ),
        KamailioAcc(method="BYE", sip_code="200", sip_reason="OK", event_ts=str(at + 63), **common),
    ]


def imports_race(tmp_path: Path) -> int:
    """Two imports started at once; how many calls they recorded together."""
    workers = [
        worker_start("plugline.telephony.tests.import_race", name, tmp_path) for name in "ab"
    ]
    with workers_stopped_after(workers):
        workers_wait([tmp_path / "ready-a", tmp_path / "ready-b"], workers)
        (tmp_path / "go").touch()
        finished = workers_finish(workers)
    for result in finished:
        assert result.returncode == 0, result.err
    return sum(int(result.lines()[-1]) for result in finished)


def test_two_imports_at_once_record_each_blocked_call_once(tmp_path: Path):
    line = make_line(make_subscriber(numbers=()).user, number="+13105550100")
    now = int(time.time())
    BlockedCall.objects.bulk_create(
        BlockedCall(
            call_id=f"call-{number}@127.0.0.1",
            callee="13105550100",
            caller="12125550147",
            reason="blocked",
        )
        for number in range(CALLS)
    )
    # Half of them also accounted, as if the acc module had written their 603 too.
    KamailioAcc.objects.bulk_create(
        KamailioAcc(
            method="INVITE",
            callid=f"call-{number}@127.0.0.1",
            sip_code="603",
            caller="12125550147",
            callee="13105550100",
            invite_ts=str(now),
            event_ts=str(now),
        )
        for number in range(0, CALLS, 2)
    )

    assert imports_race(tmp_path) == CALLS

    assert CallRecord.objects.count() == CALLS
    assert set(CallRecord.objects.values_list("callee_device", "outcome")) == {
        (line.boxed.device.pk, CallOutcome.BLOCKED)
    }
    assert not BlockedCall.objects.exists() and not KamailioAcc.objects.exists()


def test_two_imports_at_once_record_each_call_once(tmp_path: Path):
    line = make_line(make_subscriber(numbers=()).user)
    now = int(time.time())
    KamailioAcc.objects.bulk_create(
        [row for number in range(CALLS) for row in accounted_call(number, at=now - number)]
    )
    workers = [
        worker_start("plugline.telephony.tests.import_race", name, tmp_path) for name in "ab"
    ]
    with workers_stopped_after(workers):
        workers_wait([tmp_path / "ready-a", tmp_path / "ready-b"], workers)
        (tmp_path / "go").touch()
        finished = workers_finish(workers)

    for result in finished:
        assert result.returncode == 0, result.err
    assert sum(int(result.lines()[-1]) for result in finished) == CALLS
    assert CallRecord.objects.count() == CALLS
    assert set(CallRecord.objects.values_list("caller_device", "outcome", "duration_seconds")) == {
        (line.boxed.device.pk, CallOutcome.ANSWERED, 60)
    }
    assert KamailioAcc.objects.count() == 0
