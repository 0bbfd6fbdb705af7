"""Importing Kamailio's accounting rows into call records (any database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conftest import make_subscriber
from plugline.core.scheduling import periodic_jobs
from plugline.telephony.callrecords import call_records_import
from plugline.telephony.models import CallOutcome, CallRecord, KamailioAcc
from plugline.telephony.tests.sip_factory import make_line

pytestmark = pytest.mark.django_db

T0 = int(datetime(2026, 12, 4, 18, 0, tzinfo=UTC).timestamp())


def invite(callid: str, code: str, *, caller: str = "12125550147", callee: str = "13105550100"):
    return KamailioAcc.objects.create(
        method="INVITE",
        callid=callid,
        sip_code=code,
        caller=caller,
        callee=callee,
        invite_ts=str(T0),
        event_ts=str(T0 + 5),
    )


def bye(callid: str, *, at: int):
    return KamailioAcc.objects.create(method="BYE", callid=callid, sip_code="200", event_ts=str(at))


def test_it_imports_the_job_every_minute():
    jobs = {job.name: job for job in periodic_jobs()}

    assert jobs["telephony.call_records_import"].every == timedelta(minutes=1)
    assert jobs["telephony.call_records_import"].func is call_records_import


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("486", CallOutcome.BUSY),
        ("600", CallOutcome.BUSY),
        ("480", CallOutcome.NO_ANSWER),
        ("487", CallOutcome.NO_ANSWER),
        ("408", CallOutcome.NO_ANSWER),
        ("603", CallOutcome.BLOCKED),
        ("503", CallOutcome.FAILED),
        ("404", CallOutcome.FAILED),
    ],
)
def test_it_records_a_call_not_answered_with_its_outcome(code: str, outcome: str):
    invite("c1", code)

    assert call_records_import() == 1

    [record] = CallRecord.objects.all()
    assert (record.outcome, record.answered_at, record.duration_seconds) == (outcome, None, 0)
    assert record.ended_at == datetime.fromtimestamp(T0 + 5, tz=UTC)


def test_it_records_an_answered_call_with_its_answer_end_and_duration_and_devices():
    alice = make_line(make_subscriber("alice@example.com", numbers=()).user)
    bob = make_line(
        make_subscriber("bob@example.com", numbers=()).user,
        serial="PLS10000002",
        number="+12125550148",
    )
    invite("c1", "200", callee="12125550148")
    bye("c1", at=T0 + 95)

    assert call_records_import() == 1

    record = CallRecord.objects.get()
    assert (record.caller, record.callee) == ("+12125550147", "+12125550148")
    assert record.caller_device == alice.boxed.device
    assert record.callee_device == bob.boxed.device
    assert record.started_at == datetime.fromtimestamp(T0, tz=UTC)
    assert record.answered_at == datetime.fromtimestamp(T0 + 5, tz=UTC)
    assert record.ended_at == datetime.fromtimestamp(T0 + 95, tz=UTC)
    assert record.duration_seconds == 90
    assert KamailioAcc.objects.count() == 0


def test_a_call_in_progress_is_recorded_and_ended_by_its_bye_at_a_later_import():
    invite("c1", "200")
    assert call_records_import() == 1
    assert CallRecord.objects.get().ended_at is None

    bye("c1", at=T0 + 65)

    assert call_records_import() == 0
    record = CallRecord.objects.get()
    assert (record.outcome, record.duration_seconds) == (CallOutcome.ANSWERED, 60)


def test_a_bye_whose_call_is_not_recorded_yet_waits_for_it():
    recent = int(datetime.now(tz=UTC).timestamp())
    bye("c1", at=recent)

    assert call_records_import() == 0
    assert KamailioAcc.objects.filter(method="BYE").count() == 1

    invite("c1", "200")
    assert call_records_import() == 1
    assert CallRecord.objects.get().ended_at == datetime.fromtimestamp(recent, tz=UTC)
    assert KamailioAcc.objects.count() == 0


def test_running_the_import_again_records_nothing_more():
    invite("c1", "200")
    bye("c1", at=T0 + 30)
    call_records_import()
    # Kamailio wrote the same call's answer again (a retransmission).
    invite("c1", "200")

    assert call_records_import() == 0
    assert CallRecord.objects.count() == 1
