"""Real calls through the repository's Kamailio: between Plugline lines whatever the format
dialled, out through the carrier's trunk, 911 to the emergency service, abroad refused without a
rate (paid international calls: plugline/minutes/tests/test_sip_international_postgres.py).

sipp plays the carrier's trunk and the emergency service (a UAS each, started before
Kamailio, whose defines point at them), and the called device (registered with its own
digest credentials, then answering on the address it registered).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from conftest import make_subscriber
from plugline.devices.models import DeviceStatus
from plugline.telephony.callrecords import call_records_import
from plugline.telephony.models import CallOutcome, CallRecord
from plugline.telephony.roles import sip_database_role_grant
from plugline.telephony.tests.calls import (
    SippServer,
    baresip_phone,
    sipp_call,
    sipp_server,
    wait_for,
)
from plugline.telephony.tests.kamailio import (
    ROLE,
    RunningKamailio,
    free_port,
    needs_postgres,
    role_dsn,
    role_password,
    running_kamailio,
    sipp_register,
)
from plugline.telephony.tests.sip_factory import Line, fetch_sip_settings, make_line

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

DOMAIN = "sip.plugline.test"


@pytest.fixture(scope="module")
def carrier() -> Iterator[SippServer]:
    with sipp_server() as server:
        yield server


@pytest.fixture(scope="module")
def psap() -> Iterator[SippServer]:
    with sipp_server() as server:
        yield server


@pytest.fixture(scope="module")
def kamailio(
    django_db_setup: None, django_db_blocker, carrier: SippServer, psap: SippServer
) -> Iterator[RunningKamailio]:
    """Kamailio reading the test database, sending calls out to the two sipp UASes."""
    with django_db_blocker.unblock():
        sip_database_role_grant(connection, role=ROLE, password=role_password())
        dsn = role_dsn()
    with running_kamailio(
        db_url=dsn, domain=DOMAIN, carrier_uri=carrier.uri, emergency_uri=f"sip:911@{psap.uri[4:]}"
    ) as running:
        yield running


@pytest.fixture
def alice(settings) -> dict[str, str]:
    """Alice's line, +1 212 555 0147: its SIP settings, as her device fetched them."""
    settings.SIP_DOMAIN = DOMAIN
    line = make_line(make_subscriber("alice@example.com", numbers=()).user)
    return fetch_sip_settings(Client(), line.boxed).json()


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


def call(
    kamailio: RunningKamailio,
    caller: dict[str, str],
    dialled: str,
    *,
    final: int,
    extra_header: str = "",
):
    return sipp_call(
        kamailio,
        username=caller["username"],
        domain=caller["domain"],
        password=caller["password"],
        dialled=dialled,
        final=final,
        extra_header=extra_header,
    )


@pytest.fixture
def bob_answering(kamailio: RunningKamailio, bob: dict[str, str]) -> Iterator[SippServer]:
    """Bob's device registered (its own REGISTER, digest), answering on the address it gave."""
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
        # Kamailio keeps registrations in memory, beyond this test's database.
        kamailio.rpc("ul.rm", "location", f"{bob['username']}@{DOMAIN}")


def invites_for(server: SippServer, user: str) -> list[str]:
    return [invite for invite in server.invites() if invite.startswith(f"INVITE sip:{user}@")]


@pytest.mark.parametrize(
    "dialled", ["2125550148", "12125550148", "+12125550148", "212-555-0148", "(212)555.0148"]
)
def test_it_rings_another_plugline_line_whatever_the_format_dialled(
    kamailio: RunningKamailio, alice: dict[str, str], bob_answering: SippServer, dialled: str
):
    outcome = call(kamailio, alice, dialled, final=200)

    assert outcome.as_expected, outcome.output + kamailio.log()
    [invite] = invites_for(bob_answering, "12125550148")
    assert "From: <sip:12125550147@sip.plugline.test>" in invite


def test_it_answers_480_when_the_callee_is_not_registered(
    kamailio: RunningKamailio, alice: dict[str, str], bob: dict[str, str]
):
    outcome = call(kamailio, alice, "2125550148", final=480)

    assert outcome.as_expected, outcome.output + kamailio.log()


def test_a_caller_without_the_right_password_cannot_call(
    kamailio: RunningKamailio, alice: dict[str, str], bob_answering: SippServer
):
    wrong = {
        **alice,
        "password": alice["password"][:-1] + ("a" if alice["password"][-1] != "a" else "b"),
    }

    outcome = call(kamailio, wrong, "2125550148", final=407)

    assert outcome.as_expected, outcome.output + kamailio.log()
    assert invites_for(bob_answering, "12125550148") == []


def test_a_line_whose_service_ended_cannot_call(
    kamailio: RunningKamailio, settings, bob_answering: SippServer
):
    settings.SIP_DOMAIN = DOMAIN
    line = make_line(make_subscriber("carol@example.com", numbers=()).user)
    caller = fetch_sip_settings(Client(), line.boxed).json()
    line.subscription.ends_at = timezone.now() - timedelta(
        days=settings.BILLING_GRACE_DAYS, minutes=1
    )
    line.subscription.save()

    outcome = call(kamailio, caller, "2125550148", final=403)

    assert outcome.as_expected, outcome.output + kamailio.log()
    assert invites_for(bob_answering, "12125550148") == []


@pytest.mark.parametrize("ended_by", ["service", "suspension"])
def test_a_line_whose_service_ended_or_was_suspended_still_reaches_911(
    kamailio: RunningKamailio, settings, psap: SippServer, carrier: SippServer, ended_by: str
):
    settings.SIP_DOMAIN = DOMAIN
    line = make_line(make_subscriber("carol@example.com", numbers=()).user)
    caller = fetch_sip_settings(Client(), line.boxed).json()
    if ended_by == "service":
        line.subscription.ends_at = timezone.now() - timedelta(
            days=settings.BILLING_GRACE_DAYS, minutes=1
        )
        line.subscription.save()
    else:
        line.boxed.device.suspended_at = timezone.now()
        line.boxed.device.save()
    before = len(psap.invites())
    carrier_before = carrier.invites()

    emergency = call(kamailio, caller, "911", final=200)
    elsewhere = call(kamailio, caller, "3105550123", final=403)

    assert emergency.as_expected, emergency.output + kamailio.log()
    invites = psap.invites()
    assert len(invites) == before + 1
    assert f"P-Asserted-Identity: <sip:+{caller['username']}@{DOMAIN};user=phone>" in invites[-1]
    assert elsewhere.as_expected, elsewhere.output + kamailio.log()
    assert carrier.invites() == carrier_before


def test_a_released_device_cannot_call_911_with_its_old_credentials(
    kamailio: RunningKamailio, settings, psap: SippServer
):
    settings.SIP_DOMAIN = DOMAIN
    line = make_line(make_subscriber("dave@example.com", numbers=()).user)
    caller = fetch_sip_settings(Client(), line.boxed).json()
    # Released without its credentials rotated: the view alone keeps it out.
    device = line.boxed.device
    device.owner = None
    device.status = DeviceStatus.RELEASED
    device.save()
    before = psap.invites()

    outcome = call(kamailio, caller, "911", final=403)

    assert outcome.as_expected, outcome.output + kamailio.log()
    assert psap.invites() == before


@pytest.mark.parametrize("dialled", ["3105550123", "13105550123", "+13105550123"])
def test_it_sends_a_call_to_another_us_or_canadian_number_to_the_carrier(
    kamailio: RunningKamailio, alice: dict[str, str], carrier: SippServer, dialled: str
):
    before = len(invites_for(carrier, "+13105550123"))

    outcome = call(kamailio, alice, dialled, final=200)

    assert outcome.as_expected, outcome.output + kamailio.log()
    invites = invites_for(carrier, "+13105550123")
    assert len(invites) == before + 1
    assert "P-Asserted-Identity: <sip:+12125550147@sip.plugline.test;user=phone>" in invites[-1]


@pytest.mark.parametrize(
    "dialled", ["+442071838750", "011442071838750", "0033142685300", "+18765550123"]
)
def test_it_refuses_a_call_abroad(
    kamailio: RunningKamailio, alice: dict[str, str], carrier: SippServer, dialled: str
):
    before = carrier.invites()

    outcome = call(kamailio, alice, dialled, final=403)

    assert outcome.as_expected, outcome.output + kamailio.log()
    assert "International calls are not available" in outcome.output
    assert carrier.invites() == before
    # The call that did not go through is in Alice's call history.
    call_records_import()
    [record] = CallRecord.objects.filter(caller="+12125550147")
    assert (record.callee, record.outcome, record.sip_code, record.duration_seconds) == (
        "+" + dialled.lstrip("+0").removeprefix("11"),
        CallOutcome.FAILED,
        "403",
        0,
    )


def test_it_sends_911_to_the_emergency_service_with_the_callers_number(
    kamailio: RunningKamailio, alice: dict[str, str], psap: SippServer
):
    # Alice's device has no E911 address: the call goes through all the same.
    before = len(psap.invites())

    outcome = call(kamailio, alice, "911", final=200)

    assert outcome.as_expected, outcome.output + kamailio.log()
    invites = psap.invites()
    assert len(invites) == before + 1
    assert invites[-1].startswith("INVITE sip:911@127.0.0.1:")
    assert "P-Asserted-Identity: <sip:+12125550147@sip.plugline.test;user=phone>" in invites[-1]


def test_a_caller_cannot_claim_another_number_towards_the_carrier(
    kamailio: RunningKamailio, alice: dict[str, str], carrier: SippServer
):
    # Only the digest identity's number is asserted: one the caller sends is removed.
    outcome = call(
        kamailio,
        alice,
        "3105550199",
        final=200,
        extra_header="P-Asserted-Identity: <sip:+12125550999@sip.plugline.test>",
    )

    assert outcome.as_expected, outcome.output + kamailio.log()
    [invite] = invites_for(carrier, "+13105550199")
    assert "12125550999" not in invite
    assert "P-Asserted-Identity: <sip:+12125550147@sip.plugline.test;user=phone>" in invite


@pytest.mark.parametrize("dialled", ["3105550123", "911", "+442071838750"])
def test_a_caller_from_outside_plugline_cannot_call_out_through_it(
    kamailio: RunningKamailio, carrier: SippServer, psap: SippServer, dialled: str
):
    before = carrier.invites() + psap.invites()

    outcome = sipp_call(
        kamailio,
        username="12125550147",
        domain=DOMAIN,
        password="unused",
        dialled=dialled,
        final=403,
        caller_domain="elsewhere.example",
    )

    assert outcome.as_expected, outcome.output + kamailio.log()
    assert carrier.invites() + psap.invites() == before


def test_two_subscribers_call_each_other_and_hear_each_other(
    kamailio: RunningKamailio, alice: dict[str, str], bob: dict[str, str]
):
    def phone(sip: dict[str, str], **options):
        return baresip_phone(
            username=sip["username"],
            domain=sip["domain"],
            password=sip["password"],
            proxy=kamailio.address,
            **options,
        )

    with phone(bob, answer=True) as bob_phone:
        wait_for(bob_phone.registered, what="Bob registered")
        with phone(alice, answer=False) as alice_phone:
            wait_for(alice_phone.registered, what="Alice registered")
            alice_phone.dial(f"sip:2125550148@{DOMAIN}")
            wait_for(
                lambda: (
                    "Call established" in alice_phone.output()
                    and "Call established" in bob_phone.output()
                ),
                what="the call established on both phones",
                details=lambda: f"Alice:\n{alice_phone.output()}\nBob:\n{bob_phone.output()}",
            )
            # Two seconds of 8 kHz 16-bit audio received by each phone.
            wait_for(
                lambda: (
                    alice_phone.recorded_bytes() > 32_000 and bob_phone.recorded_bytes() > 32_000
                ),
                what="audio received by both phones",
            )
            alice_phone.stop()
            bob_phone.stop()

            # Each received the other's tone (audio, not silence): RTP flowed both ways.
            assert alice_phone.received_audio_seconds() >= 1.5, alice_phone.output()
            assert bob_phone.received_audio_seconds() >= 1.5, bob_phone.output()


@pytest.fixture
def kamailio_without_routes_out(
    django_db_blocker, kamailio: RunningKamailio
) -> Iterator[RunningKamailio]:
    """Kamailio as shipped, without a carrier trunk or an emergency route."""
    with django_db_blocker.unblock():
        dsn = role_dsn()
    with running_kamailio(db_url=dsn, domain=DOMAIN) as running:
        yield running


@pytest.mark.parametrize("dialled", ["3105550123", "911"])
def test_it_answers_503_and_logs_when_no_route_out_is_configured(
    kamailio_without_routes_out: RunningKamailio, alice: dict[str, str], dialled: str
):
    kamailio = kamailio_without_routes_out

    outcome = call(kamailio, alice, dialled, final=503)

    assert outcome.as_expected, outcome.output + kamailio.log()
    wait_for(
        lambda: "call from 12125550147" in kamailio.log(), what="the refusal in Kamailio's log"
    )
