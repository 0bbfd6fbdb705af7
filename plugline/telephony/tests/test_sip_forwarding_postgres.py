"""Ring time, do not disturb and forwarding through the repository's Kamailio: a change saved
with call_settings_save applies to the very next call (Kamailio reads the view
sip_call_settings at every INVITE), calls a line does not take go to the voicemail server at
VOICEMAIL_ADDR (a sipp UAS here) with the callee in the Request-URI and the reason in
X-Plugline-Voicemail, and each diverted call is one call record saying where it went.

Alice (+1 212 555 0147) calls Bob (+1 212 555 0148); Carol (+1 212 555 0149) is the number
Bob forwards to, or a number outside Plugline goes to the carrier's trunk (a sipp UAS).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection
from django.test import Client

from conftest import make_subscriber
from plugline.telephony.callrecords import call_records_import
from plugline.telephony.forwarding import call_settings_choice
from plugline.telephony.models import CallOutcome, CallRecord, KamailioAcc
from plugline.telephony.roles import sip_database_role_grant
from plugline.telephony.services import blocked_caller_add, call_settings_save
from plugline.telephony.tests.calls import (
    SippServer,
    baresip_phone,
    sipp_call,
    sipp_server,
    wait_for,
)
from plugline.telephony.tests.kamailio import (
    DOMAIN,
    ROLE,
    RunningKamailio,
    SippOutcome,
    free_port,
    needs_postgres,
    role_dsn,
    role_password,
    running_kamailio,
    sipp_register,
)
from plugline.telephony.tests.sip_factory import Line, fetch_sip_settings, make_line

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

BOB = "12125550148"
CAROL = "12125550149"


@pytest.fixture(scope="module")
def voicemail() -> Iterator[SippServer]:
    """The voicemail server's place: a sipp UAS answering every call."""
    with sipp_server() as server:
        yield server


@pytest.fixture(scope="module")
def carrier() -> Iterator[SippServer]:
    with sipp_server() as server:
        yield server


@pytest.fixture(scope="module")
def kamailio(
    django_db_setup: None, django_db_blocker, voicemail: SippServer, carrier: SippServer
) -> Iterator[RunningKamailio]:
    with django_db_blocker.unblock():
        sip_database_role_grant(connection, role=ROLE, password=role_password())
        dsn = role_dsn()
    with running_kamailio(
        db_url=dsn,
        domain=DOMAIN,
        carrier_uri=carrier.uri,
        voicemail_addr=f"127.0.0.1:{voicemail.port}",
    ) as running:
        yield running


def _line(email: str, serial: str, number: str) -> Line:
    return make_line(make_subscriber(email, numbers=()).user, serial=serial, number=number)


@pytest.fixture
def alice(settings) -> dict[str, str]:
    settings.SIP_DOMAIN = DOMAIN
    line = _line("alice@example.com", "PLS10000001", "+12125550147")
    return fetch_sip_settings(Client(), line.boxed).json()


@pytest.fixture
def bob_line(settings) -> Line:
    settings.SIP_DOMAIN = DOMAIN
    return _line("bob@example.com", "PLS10000002", "+" + BOB)


@pytest.fixture
def carol_line(settings) -> Line:
    settings.SIP_DOMAIN = DOMAIN
    return _line("carol@example.com", "PLS10000003", "+" + CAROL)


def sip_of(line: Line) -> dict[str, str]:
    return fetch_sip_settings(Client(), line.boxed).json()


@contextmanager
def registered(
    kamailio: RunningKamailio, line: Line, **server: int | bool | None
) -> Iterator[SippServer]:
    """The line's device registered (digest) and answering as `server` says (sipp_server)."""
    sip = sip_of(line)
    port = free_port()
    outcome = sipp_register(
        kamailio,
        username=sip["username"],
        domain=sip["domain"],
        password=sip["password"],
        final=200,
        port=port,
    )
    assert outcome.as_expected, outcome.output + kamailio.log()
    try:
        with sipp_server(port=port, **server) as device:  # type: ignore[arg-type]
            yield device
    finally:
        kamailio.rpc("ul.rm", "location", f"{sip['username']}@{DOMAIN}")


def bob_sets(line: Line, **chosen: object) -> None:
    """Bob saves his call settings in the portal's service (the defaults for what he leaves)."""
    values: dict[str, object] = {
        "ring_seconds": 25,
        "do_not_disturb": False,
        "forward_always": False,
        "forward_busy": False,
        "forward_no_answer": False,
        "forward_unreachable": False,
        "forward_to": "",
    } | chosen
    choice = call_settings_choice(own_number="+" + BOB, **values)  # type: ignore[arg-type]
    device = line.boxed.device
    assert device.owner is not None
    assert call_settings_save(device_id=device.pk, owner=device.owner, choice=choice)


def alice_calls_bob(kamailio: RunningKamailio, alice: dict[str, str], *, final: int) -> SippOutcome:
    outcome = sipp_call(
        kamailio,
        username=alice["username"],
        domain=alice["domain"],
        password=alice["password"],
        dialled="2125550148",
        final=final,
    )
    assert outcome.as_expected, outcome.output + kamailio.log()
    return outcome


def new_invites(server: SippServer, before: int) -> list[str]:
    return server.invites()[before:]


def header(invite: str, name: str) -> str:
    found = re.search(rf"^{name}:\s*(.*?)\s*$", invite, re.MULTILINE | re.IGNORECASE)
    return found.group(1) if found else ""


def recorded_call(kamailio: RunningKamailio) -> CallRecord:
    """The call, once Kamailio accounted its INVITE and the import recorded it."""
    wait_for(
        lambda: KamailioAcc.objects.filter(method="INVITE").exists(),
        what="the call accounted",
        timeout=10,
        details=kamailio.log,
    )
    call_records_import()
    [record] = CallRecord.objects.all()
    return record


def assert_to_voicemail(invite: str, *, reason: str, voicemail: SippServer) -> None:
    request_line = invite.splitlines()[0]
    assert request_line.startswith(f"INVITE sip:{BOB}@127.0.0.1:{voicemail.port}"), invite
    assert header(invite, "X-Plugline-Voicemail") == reason, invite
    assert "sip:12125550147@" in header(invite, "From"), invite


def test_it_forwards_every_call_to_another_subscribers_phone_from_the_next_call(
    kamailio: RunningKamailio, alice: dict[str, str], bob_line: Line, carol_line: Line
):
    carol = sip_of(carol_line)
    with (
        registered(kamailio, bob_line) as bobs_device,
        baresip_phone(
            username=carol["username"],
            domain=carol["domain"],
            password=carol["password"],
            proxy=kamailio.address,
            answer=True,
        ) as carols_phone,
    ):
        wait_for(carols_phone.registered, what="Carol registered", details=carols_phone.output)
        bob_sets(bob_line, forward_always=True, forward_to="(212) 555-0149")
        saved = time.monotonic()
        alice_calls_bob(kamailio, alice, final=200)

        # Carol's phone rang for the call placed at once (and took it); Bob's never did.
        wait_for(
            lambda: "Call established" in carols_phone.output(),
            what="Carol's phone taking the forwarded call",
            details=carols_phone.output,
        )
        assert time.monotonic() - saved < 20
        assert "12125550147" in carols_phone.output()
        assert bobs_device.invites() == []

    record = recorded_call(kamailio)
    assert (record.caller, record.callee) == ("+12125550147", "+" + BOB)
    assert (record.outcome, record.forwarded_to) == (CallOutcome.FORWARDED, "+" + CAROL)
    assert record.callee_device_id == bob_line.boxed.device.pk
    assert record.answered_at is not None


def test_it_sends_a_call_to_voicemail_at_once_when_do_not_disturb_is_on(
    kamailio: RunningKamailio, alice: dict[str, str], bob_line: Line, voicemail: SippServer
):
    before = len(voicemail.invites())
    with registered(kamailio, bob_line) as bobs_device:
        bob_sets(bob_line, do_not_disturb=True)
        alice_calls_bob(kamailio, alice, final=200)

        assert bobs_device.invites() == []
    [invite] = new_invites(voicemail, before)
    assert_to_voicemail(invite, reason="dnd", voicemail=voicemail)
    record = recorded_call(kamailio)
    assert record.outcome == CallOutcome.VOICEMAIL


def test_it_sends_a_call_to_an_unregistered_line_to_voicemail_as_unavailable(
    kamailio: RunningKamailio, alice: dict[str, str], bob_line: Line, voicemail: SippServer
):
    before = len(voicemail.invites())

    alice_calls_bob(kamailio, alice, final=200)

    [invite] = new_invites(voicemail, before)
    assert_to_voicemail(invite, reason="unavailable", voicemail=voicemail)


def test_it_sends_a_call_the_line_refuses_as_busy_to_voicemail(
    kamailio: RunningKamailio, alice: dict[str, str], bob_line: Line, voicemail: SippServer
):
    before = len(voicemail.invites())
    with registered(kamailio, bob_line, refuse_with=486) as bobs_device:
        alice_calls_bob(kamailio, alice, final=200)

        assert len(bobs_device.invites()) == 1
    [invite] = new_invites(voicemail, before)
    assert_to_voicemail(invite, reason="busy", voicemail=voicemail)
    record = recorded_call(kamailio)
    assert record.outcome == CallOutcome.VOICEMAIL


def test_it_forwards_a_busy_call_outside_plugline_through_the_carrier_when_told_to(
    kamailio: RunningKamailio,
    alice: dict[str, str],
    bob_line: Line,
    voicemail: SippServer,
    carrier: SippServer,
):
    before_voicemail, before_carrier = len(voicemail.invites()), len(carrier.invites())
    with registered(kamailio, bob_line, refuse_with=486):
        bob_sets(bob_line, forward_busy=True, forward_to="+1 416 555 0100")
        alice_calls_bob(kamailio, alice, final=200)

    assert new_invites(voicemail, before_voicemail) == []
    [invite] = new_invites(carrier, before_carrier)
    assert invite.splitlines()[0].startswith("INVITE sip:+14165550100@127.0.0.1"), invite
    assert f"sip:+{BOB}@{DOMAIN}" in header(invite, "Diversion"), invite
    assert "reason=user-busy" in header(invite, "Diversion"), invite
    record = recorded_call(kamailio)
    assert (record.outcome, record.forwarded_to) == (CallOutcome.FORWARDED, "+14165550100")


def test_it_forwards_a_call_nobody_answers_to_another_subscribers_phone_when_told_to(
    kamailio: RunningKamailio,
    alice: dict[str, str],
    bob_line: Line,
    carol_line: Line,
    voicemail: SippServer,
):
    before = len(voicemail.invites())
    with (
        registered(kamailio, bob_line, refuse_with=480) as bobs_device,
        registered(kamailio, carol_line) as carols_device,
    ):
        bob_sets(bob_line, forward_no_answer=True, forward_to="+" + CAROL)
        alice_calls_bob(kamailio, alice, final=200)

        assert len(bobs_device.invites()) == 1
        [invite] = carols_device.invites()
    assert invite.splitlines()[0].startswith(f"INVITE sip:{CAROL}@127.0.0.1"), invite
    assert "reason=no-answer" in header(invite, "Diversion"), invite
    assert new_invites(voicemail, before) == []
    record = recorded_call(kamailio)
    assert (record.outcome, record.forwarded_to) == (CallOutcome.FORWARDED, "+" + CAROL)


def test_it_sends_a_call_nobody_answers_within_the_ring_time_to_voicemail(
    kamailio: RunningKamailio, alice: dict[str, str], bob_line: Line, voicemail: SippServer
):
    before = len(voicemail.invites())
    with registered(kamailio, bob_line, ring_only=True) as bobs_device:
        bob_sets(bob_line, ring_seconds=15)
        started = time.monotonic()
        alice_calls_bob(kamailio, alice, final=200)
        rang = time.monotonic() - started

        assert len(bobs_device.invites()) == 1
    [invite] = new_invites(voicemail, before)
    assert_to_voicemail(invite, reason="noanswer", voicemail=voicemail)
    # Bob's device rang for his ring time (15 s), not the default 25 s.
    assert 14 <= rang < 22, rang


def test_it_still_refuses_a_blocked_caller_when_the_line_forwards_every_call(
    kamailio: RunningKamailio, alice: dict[str, str], bob_line: Line, carol_line: Line
):
    device = bob_line.boxed.device
    assert device.owner is not None
    blocked_caller_add(device_id=device.pk, owner=device.owner, text="+12125550147")
    with registered(kamailio, carol_line) as carols_device:
        bob_sets(bob_line, forward_always=True, forward_to="+" + CAROL)
        alice_calls_bob(kamailio, alice, final=603)

        assert carols_device.invites() == []


def test_it_records_a_call_forwarded_to_a_line_with_no_phone_registered(
    kamailio: RunningKamailio, alice: dict[str, str], bob_line: Line, carol_line: Line
):
    # Carol's line is active but nothing is registered: the caller hears 480.
    bob_sets(bob_line, forward_always=True, forward_to="+" + CAROL)

    alice_calls_bob(kamailio, alice, final=480)

    record = recorded_call(kamailio)
    assert (record.outcome, record.forwarded_to, record.sip_code) == (
        CallOutcome.FORWARDED,
        "+" + CAROL,
        "480",
    )


@pytest.fixture
def kamailio_voicemail_down(django_db_setup: None, django_db_blocker) -> Iterator[RunningKamailio]:
    """Kamailio whose voicemail server is down: nothing listens at VOICEMAIL_ADDR."""
    with django_db_blocker.unblock():
        sip_database_role_grant(connection, role=ROLE, password=role_password())
        dsn = role_dsn()
    with running_kamailio(
        db_url=dsn, domain=DOMAIN, voicemail_addr=f"127.0.0.1:{free_port()}"
    ) as running:
        yield running


def test_the_caller_hears_what_the_line_answered_when_the_voicemail_server_is_down(
    kamailio_voicemail_down: RunningKamailio, alice: dict[str, str], bob_line: Line
):
    kamailio = kamailio_voicemail_down
    with registered(kamailio, bob_line, refuse_with=486):
        started = time.monotonic()
        alice_calls_bob(kamailio, alice, final=486)

    # Within the voicemail server's 3 s to answer, and some slack for a loaded machine.
    assert time.monotonic() - started < 10
    record = recorded_call(kamailio)
    assert (record.outcome, record.sip_code) == (CallOutcome.BUSY, "486")


def test_kamailios_role_reads_the_call_settings_view_and_nothing_behind_it(
    kamailio: RunningKamailio, bob_line: Line
):
    bob_sets(bob_line, ring_seconds=30, forward_unreachable=True, forward_to="+14165550100")
    with psycopg.connect(role_dsn()) as conn:
        assert conn.execute(
            "SELECT username, ring_seconds, dnd, fwd_always, fwd_busy, fwd_noanswer,"
            " fwd_unreachable, forward_to FROM sip_call_settings"
        ).fetchall() == [(BOB, 30, 0, 0, 0, 0, 1, "14165550100")]
        for statement in (
            "SELECT 1 FROM telephony_callsettings",
            "UPDATE telephony_callsettings SET do_not_disturb = true",
            "DELETE FROM telephony_callsettings",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()
