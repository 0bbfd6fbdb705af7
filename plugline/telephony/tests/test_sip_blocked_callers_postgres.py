"""Blocked callers through the repository's Kamailio: a line refuses (603) the numbers and
prefixes its owner blocked, and anonymous callers when it is told to, from the next call on,
and each refused call is logged and recorded in sip_blocked_call, which the call records import
turns into one call, blocked, in the callee's history (the acc module does not account the
603, so the call is never recorded twice).

The callers come from outside Plugline (as through the carrier's trunk): sipp places the
call unchallenged, with the From user under test; Bob's device (sipp, registered with its
own digest credentials) answers.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.test import Client

from conftest import make_subscriber
from plugline.accounts.models import User
from plugline.telephony.callrecords import call_records_import, device_call_history_page
from plugline.telephony.models import BlockedCall, CallOutcome, CallRecord, KamailioAcc
from plugline.telephony.services import (
    anonymous_callers_refuse,
    blocked_caller_add,
    blocked_caller_remove,
)
from plugline.telephony.tests.calls import SippServer, sipp_call, sipp_server, wait_for
from plugline.telephony.tests.kamailio import (
    DOMAIN,
    RunningKamailio,
    SippOutcome,
    free_port,
    needs_postgres,
    role_dsn,
    sipp_register,
)
from plugline.telephony.tests.sip_factory import Line, fetch_sip_settings, make_line

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

BOB = "12125550148"


@pytest.fixture
def bob_line(settings) -> Line:
    settings.SIP_DOMAIN = DOMAIN
    return make_line(
        make_subscriber("bob@example.com", numbers=()).user,
        serial="PLS10000002",
        number="+" + BOB,
    )


@pytest.fixture
def bob_answering(kamailio: RunningKamailio, bob_line: Line) -> Iterator[SippServer]:
    """Bob's device registered (its own REGISTER, digest), answering on the address it gave."""
    bob = fetch_sip_settings(Client(), bob_line.boxed).json()
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
        with sipp_server(port=port) as device:
            yield device
    finally:
        kamailio.rpc("ul.rm", "location", f"{BOB}@{DOMAIN}")


def call_bob(
    kamailio: RunningKamailio, caller: str, *, final: int, extra_header: str = ""
) -> SippOutcome:
    """`caller` (the From user) calls Bob from outside Plugline."""
    return sipp_call(
        kamailio,
        username=caller,
        domain=DOMAIN,
        password="unused",
        dialled="2125550148",
        final=final,
        extra_header=extra_header,
        caller_domain="carrier.example",
    )


def rings(device: SippServer) -> int:
    return len([i for i in device.invites() if i.startswith(f"INVITE sip:{BOB}@")])


def owner(line: Line) -> User:
    user = line.boxed.device.owner
    assert user is not None
    return user


def block(line: Line, text: str) -> int:
    device = line.boxed.device
    entry, _created = blocked_caller_add(device_id=device.pk, owner=owner(line), text=text)
    return device.blocked_callers.get(e164=entry.e164, is_prefix=entry.is_prefix).pk


def test_it_refuses_a_blocked_number_at_the_next_call_and_records_it(
    kamailio: RunningKamailio, bob_line: Line, bob_answering: SippServer
):
    block(bob_line, "(310) 555-0123")

    outcome = call_bob(kamailio, "13105550123", final=603)

    assert outcome.as_expected, outcome.output + kamailio.log()
    assert rings(bob_answering) == 0
    assert BlockedCall.objects.exists(), kamailio.log()[-4000:]
    [recorded] = BlockedCall.objects.all()
    assert (recorded.callee, recorded.caller, recorded.reason) == (BOB, "13105550123", "blocked")
    wait_for(
        lambda: f"blocked call reason=blocked callee={BOB} caller=13105550123" in kamailio.log(),
        what="the refusal in Kamailio's log",
    )


def test_another_caller_still_gets_through(
    kamailio: RunningKamailio, bob_line: Line, bob_answering: SippServer
):
    block(bob_line, "+1 310 555 0123")

    outcome = call_bob(kamailio, "13105550124", final=200)

    assert outcome.as_expected, outcome.output + kamailio.log()
    assert rings(bob_answering) == 1
    assert not BlockedCall.objects.exists()


@pytest.mark.parametrize("caller", ["19005550123", "9005550199"])
def test_it_refuses_a_caller_whose_number_starts_with_a_blocked_prefix(
    kamailio: RunningKamailio, bob_line: Line, bob_answering: SippServer, caller: str
):
    block(bob_line, "1-900")

    outcome = call_bob(kamailio, caller, final=603)

    assert outcome.as_expected, outcome.output + kamailio.log()
    assert rings(bob_answering) == 0
    assert BlockedCall.objects.get().reason == "blocked"


@pytest.mark.parametrize(
    ("caller", "extra_header"),
    [("anonymous", ""), ("Restricted", ""), ("13105550123", "Privacy: id")],
)
def test_it_refuses_anonymous_callers_only_when_the_switch_is_on(
    kamailio: RunningKamailio,
    bob_line: Line,
    bob_answering: SippServer,
    caller: str,
    extra_header: str,
):
    device = bob_line.boxed.device

    accepted = call_bob(kamailio, caller, final=200, extra_header=extra_header)
    anonymous_callers_refuse(device_id=device.pk, owner=owner(bob_line), refuse=True)
    refused = call_bob(kamailio, caller, final=603, extra_header=extra_header)

    assert accepted.as_expected, accepted.output + kamailio.log()
    assert refused.as_expected, refused.output + kamailio.log()
    assert rings(bob_answering) == 1
    assert BlockedCall.objects.get().reason == "anonymous"


def test_unblocking_lets_the_next_call_through(
    kamailio: RunningKamailio, bob_line: Line, bob_answering: SippServer
):
    device = bob_line.boxed.device
    blocked_id = block(bob_line, "3105550123")
    refused = call_bob(kamailio, "13105550123", final=603)

    blocked_caller_remove(device_id=device.pk, owner=owner(bob_line), blocked_id=blocked_id)
    accepted = call_bob(kamailio, "13105550123", final=200)

    assert refused.as_expected, refused.output + kamailio.log()
    assert accepted.as_expected, accepted.output + kamailio.log()
    assert rings(bob_answering) == 1


def test_a_from_user_with_quotes_is_recorded_as_sent(
    kamailio: RunningKamailio, bob_line: Line, bob_answering: SippServer
):
    # Not a number: anonymous. What the caller sent reaches SQL escaped, never as SQL.
    caller = "o'brien'),('x"
    device = bob_line.boxed.device
    anonymous_callers_refuse(device_id=device.pk, owner=owner(bob_line), refuse=True)

    outcome = call_bob(kamailio, caller, final=603)

    assert outcome.as_expected, outcome.output + kamailio.log()
    assert BlockedCall.objects.exists(), kamailio.log()[-4000:]
    [recorded] = BlockedCall.objects.all()
    assert (recorded.caller, recorded.reason) == (caller, "anonymous")


def history(line: Line) -> list[tuple[bool, str, str]]:
    """(outgoing, the other party, the outcome the device sees) for each call of its history."""
    _, calls = device_call_history_page(device_id=line.boxed.device.pk, page=1)
    return [(call.outgoing, call.other_party, call.outcome) for call in calls]


def imported_once() -> None:
    """Kamailio's rows imported: one call recorded; nothing more at the next run."""
    # A row the acc module would write is written before the answer leaves Kamailio.
    assert KamailioAcc.objects.count() == 0
    assert call_records_import() == 1
    assert call_records_import() == 0
    assert not BlockedCall.objects.exists()


def test_a_blocked_call_appears_once_as_blocked_in_the_callees_history(
    kamailio: RunningKamailio, bob_line: Line, bob_answering: SippServer
):
    block(bob_line, "(310) 555-0123")
    outcome = call_bob(kamailio, "3105550123", final=603)
    assert outcome.as_expected, outcome.output + kamailio.log()

    imported_once()

    assert history(bob_line) == [(False, "+13105550123", CallOutcome.BLOCKED)]
    assert CallRecord.objects.get().sip_code == "603"


def test_an_anonymous_caller_refused_appears_once_as_blocked_with_its_number_hidden(
    kamailio: RunningKamailio, bob_line: Line, bob_answering: SippServer
):
    anonymous_callers_refuse(device_id=bob_line.boxed.device.pk, owner=owner(bob_line), refuse=True)
    outcome = call_bob(kamailio, "13105550123", final=603, extra_header="Privacy: id")
    assert outcome.as_expected, outcome.output + kamailio.log()

    imported_once()

    assert history(bob_line) == [(False, "", CallOutcome.BLOCKED)]


def test_a_subscriber_blocked_by_another_sees_a_failed_call_and_the_callee_a_blocked_one(
    kamailio: RunningKamailio, bob_line: Line, bob_answering: SippServer
):
    alice_line = make_line(make_subscriber("alice@example.com", numbers=()).user)
    alice = fetch_sip_settings(Client(), alice_line.boxed).json()
    block(bob_line, alice["username"])

    outcome = sipp_call(
        kamailio,
        username=alice["username"],
        domain=alice["domain"],
        password=alice["password"],
        dialled="2125550148",
        final=603,
    )

    assert outcome.as_expected, outcome.output + kamailio.log()
    assert rings(bob_answering) == 0
    imported_once()
    assert history(bob_line) == [(False, "+12125550147", CallOutcome.BLOCKED)]
    assert history(alice_line) == [(True, "+12125550148", CallOutcome.FAILED)]


def test_kamailios_role_reads_the_blocked_callers_and_may_only_insert_refused_calls(
    kamailio: RunningKamailio, bob_line: Line
):
    block(bob_line, "1-900")
    with psycopg.connect(role_dsn()) as conn:
        assert conn.execute(
            "SELECT username, prefix, is_prefix FROM sip_blocked_caller"
        ).fetchall() == [(BOB, "1900", True)]
        assert conn.execute("SELECT count(*) FROM sip_anonymous_refused").fetchone() == (0,)
        for statement in (
            "SELECT 1 FROM telephony_blockedcaller",
            "SELECT 1 FROM telephony_callscreening",
            "SELECT 1 FROM sip_blocked_call",
            "DELETE FROM sip_blocked_call",
            "UPDATE sip_blocked_call SET reason = 'x'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()
