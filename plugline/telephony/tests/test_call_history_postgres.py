"""Call history from real calls through the repository's Kamailio: the acc module writes
each call's final answer and its BYE to kamailio_acc (as the role kamailio), and the import
turns them into one CallRecord per call, in each device's history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.test import Client

from conftest import make_subscriber
from plugline.telephony.callrecords import call_records_import, device_call_history_page
from plugline.telephony.models import CallOutcome, CallRecord, KamailioAcc
from plugline.telephony.tests.calls import SippServer, sipp_call, sipp_server, wait_for
from plugline.telephony.tests.kamailio import (
    DOMAIN,
    RunningKamailio,
    free_port,
    needs_postgres,
    sipp_register,
)
from plugline.telephony.tests.sip_factory import Line, fetch_sip_settings, make_line

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice_line(settings) -> Line:
    settings.SIP_DOMAIN = DOMAIN
    return make_line(make_subscriber("alice@example.com", numbers=()).user)


@pytest.fixture
def alice(alice_line: Line) -> dict[str, str]:
    return fetch_sip_settings(Client(), alice_line.boxed).json()


@pytest.fixture
def bob_line(settings) -> Line:
    settings.SIP_DOMAIN = DOMAIN
    return make_line(
        make_subscriber("bob@example.com", numbers=()).user,
        serial="PLS10000002",
        number="+12125550148",
    )


@pytest.fixture
def bob(bob_line: Line) -> dict[str, str]:
    return fetch_sip_settings(Client(), bob_line.boxed).json()


@contextmanager
def bob_registered(
    kamailio: RunningKamailio, bob: dict[str, str], *, refuse_with: int | None = None
) -> Iterator[SippServer]:
    """Bob's device registered (digest), answering (or refusing) calls on the address it gave."""
    port = free_port()
    registered = sipp_register(
        kamailio,
        username=bob["username"],
        domain=bob["domain"],
        password=bob["password"],
        final=200,
        port=port,
    )
    assert registered.as_expected, registered.output + kamailio.log()
    try:
        with sipp_server(port=port, refuse_with=refuse_with) as device:
            yield device
    finally:
        kamailio.rpc("ul.rm", "location", f"{bob['username']}@{DOMAIN}")


@pytest.fixture
def bob_answering(kamailio: RunningKamailio, bob: dict[str, str]) -> Iterator[SippServer]:
    with bob_registered(kamailio, bob) as device:
        yield device


def alice_calls_bob(kamailio: RunningKamailio, alice: dict[str, str], *, final: int) -> None:
    outcome = sipp_call(
        kamailio,
        username=alice["username"],
        domain=alice["domain"],
        password=alice["password"],
        dialled="2125550148",
        final=final,
    )
    assert outcome.as_expected, outcome.output + kamailio.log()


def accounted(kamailio: RunningKamailio, *, method: str) -> None:
    """Until Kamailio has written a row for `method` (its log if it never does)."""
    try:
        wait_for(
            lambda: KamailioAcc.objects.filter(method=method).exists(),
            what=f"the {method} accounted",
            timeout=10,
        )
    except AssertionError as missing:
        raise AssertionError(kamailio.log()) from missing


def test_it_shows_a_call_between_two_subscribers_once_in_each_devices_history(
    kamailio: RunningKamailio,
    alice: dict[str, str],
    alice_line: Line,
    bob_line: Line,
    bob_answering: SippServer,
):
    alice_calls_bob(kamailio, alice, final=200)
    accounted(kamailio, method="BYE")

    assert call_records_import() == 1
    assert call_records_import() == 0

    [record] = CallRecord.objects.all()
    assert (record.caller, record.callee) == ("+12125550147", "+12125550148")
    assert record.outcome == CallOutcome.ANSWERED
    assert record.answered_at is not None and record.ended_at is not None
    assert record.started_at <= record.answered_at <= record.ended_at
    assert KamailioAcc.objects.count() == 0
    _, alices = device_call_history_page(device_id=alice_line.boxed.device.pk, page=1)
    _, bobs = device_call_history_page(device_id=bob_line.boxed.device.pk, page=1)
    assert [(call.record, call.outgoing, call.missed) for call in alices] == [(record, True, False)]
    assert [(call.record, call.outgoing, call.missed) for call in bobs] == [(record, False, False)]


def test_it_shows_a_call_nobody_answered_as_missed_for_the_callee(
    kamailio: RunningKamailio, alice: dict[str, str], alice_line: Line, bob_line: Line
):
    # Bob's device is not registered: Kamailio answers 480.
    alice_calls_bob(kamailio, alice, final=480)
    accounted(kamailio, method="INVITE")

    assert call_records_import() == 1

    [record] = CallRecord.objects.all()
    assert record.outcome == CallOutcome.NO_ANSWER
    assert record.answered_at is None
    _, bobs = device_call_history_page(device_id=bob_line.boxed.device.pk, page=1)
    assert [(call.outgoing, call.missed) for call in bobs] == [(False, True)]
    _, alices = device_call_history_page(device_id=alice_line.boxed.device.pk, page=1)
    assert [(call.outgoing, call.missed) for call in alices] == [(True, False)]


@pytest.mark.parametrize(
    ("refused_with", "outcome"), [(486, CallOutcome.BUSY), (480, CallOutcome.NO_ANSWER)]
)
def test_it_shows_a_call_the_device_rang_for_but_did_not_take_as_missed(
    kamailio: RunningKamailio,
    alice: dict[str, str],
    bob: dict[str, str],
    bob_line: Line,
    refused_with: int,
    outcome: str,
):
    with bob_registered(kamailio, bob, refuse_with=refused_with):
        alice_calls_bob(kamailio, alice, final=refused_with)
    accounted(kamailio, method="INVITE")

    assert call_records_import() == 1

    [record] = CallRecord.objects.all()
    assert (record.outcome, record.sip_code) == (outcome, str(refused_with))
    _, bobs = device_call_history_page(device_id=bob_line.boxed.device.pk, page=1)
    assert [(call.outgoing, call.missed) for call in bobs] == [(False, True)]
