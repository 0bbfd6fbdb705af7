"""A real international call through the repository's Kamailio, paid from the balance.

Alice's phone (baresip) calls London through Kamailio to the carrier's trunk (a sipp UAS).
Her balance pays for 12 seconds at 60 cents a minute billed per second: Kamailio ends the
call when they run out (BYE to the phone and to the carrier), the call record is imported
and rated, charged once, and the balance is back at zero. With no balance, the call is
refused (402 No international balance), never reaches the carrier, and is in her call
history as a call that did not go through.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client

from conftest import make_subscriber
from plugline.accounts.models import User
from plugline.minutes.models import MinutesEntry, MinutesEntryKind
from plugline.minutes.selectors import minutes_balance
from plugline.rates.tests.factories import make_rate
from plugline.telephony.callrecords import call_records_import
from plugline.telephony.models import CallOutcome, CallRecord
from plugline.telephony.roles import sip_database_role_grant
from plugline.telephony.tests.calls import SippServer, baresip_phone, sipp_server, wait_for
from plugline.telephony.tests.kamailio import (
    ROLE,
    RunningKamailio,
    needs_postgres,
    role_dsn,
    role_password,
    running_kamailio,
)
from plugline.telephony.tests.sip_factory import fetch_sip_settings, make_line

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

DOMAIN = "sip.plugline.test"
LONDON = "+442071234567"
PAID_SECONDS = 12


@pytest.fixture(scope="module")
def carrier() -> Iterator[SippServer]:
    with sipp_server() as server:
        yield server


@pytest.fixture(scope="module")
def kamailio(
    django_db_setup: None, django_db_blocker, carrier: SippServer
) -> Iterator[RunningKamailio]:
    with django_db_blocker.unblock():
        sip_database_role_grant(connection, role=ROLE, password=role_password())
        dsn = role_dsn()
    with running_kamailio(db_url=dsn, domain=DOMAIN, carrier_uri=carrier.uri) as running:
        yield running


@pytest.fixture
def alice(settings) -> tuple[User, dict[str, str]]:
    """Alice's line and its SIP settings; London at 60 cents a minute, billed per second."""
    settings.SIP_DOMAIN = DOMAIN
    line = make_line(make_subscriber(numbers=()).user)
    make_rate("44", price_per_minute=60, increments=(1, 1))
    user = line.boxed.device.owner
    assert user is not None
    return user, fetch_sip_settings(Client(), line.boxed).json()


def top_up(user: User, amount: int) -> None:
    MinutesEntry.objects.create(
        user=user, kind=MinutesEntryKind.TOP_UP, amount=amount, currency="USD"
    )


def byes_to(carrier: SippServer) -> int:
    return len(re.findall(r"^BYE sip:", carrier.messages(), flags=re.MULTILINE))


def test_it_ends_the_call_when_the_paid_time_runs_out_and_charges_it_once(
    kamailio: RunningKamailio, carrier: SippServer, alice: tuple[User, dict[str, str]]
):
    user, sip = alice
    top_up(user, PAID_SECONDS)  # 60 cents a minute: a cent a second
    invites, byes = len(carrier.invites()), byes_to(carrier)

    with baresip_phone(
        username=sip["username"],
        domain=sip["domain"],
        password=sip["password"],
        proxy=kamailio.address,
        answer=False,
    ) as phone:
        wait_for(phone.registered, what="Alice registered", details=phone.output)
        phone.dial(f"sip:{LONDON}@{DOMAIN}")
        wait_for(
            lambda: "Call established" in phone.output(),
            what="the call established",
            details=lambda: phone.output() + kamailio.log(),
        )
        established = time.monotonic()
        # Kamailio hangs up both sides: the phone's call closes, the carrier gets its BYE.
        wait_for(
            lambda: "session closed" in phone.output().split("Call established", 1)[1],
            what="the call ended by Kamailio",
            timeout=PAID_SECONDS + 30,
            details=lambda: phone.output() + kamailio.log(),
        )
        lasted = time.monotonic() - established
        wait_for(lambda: byes_to(carrier) == byes + 1, what="the carrier's BYE")

    assert len(carrier.invites()) == invites + 1
    assert "+442071234567@" in carrier.invites()[-1]
    # Cut at the paid seconds, within the one-second increment (and the timer's tick).
    assert PAID_SECONDS - 1 <= lasted <= PAID_SECONDS + 2, (lasted, kamailio.log())

    call_records_import()
    call_records_import()

    [record] = CallRecord.objects.filter(callee=LONDON)
    assert record.outcome == CallOutcome.ANSWERED
    assert record.duration_seconds == PAID_SECONDS
    [charge] = MinutesEntry.objects.filter(kind=MinutesEntryKind.CALL_CHARGE)
    assert (charge.call_record, charge.amount) == (record, -PAID_SECONDS)
    # The ledger adds up: as much in as out.
    assert minutes_balance(user=user) == 0


def test_it_refuses_an_international_call_without_a_balance(
    kamailio: RunningKamailio, carrier: SippServer, alice: tuple[User, dict[str, str]]
):
    user, sip = alice
    # A balance spent to the last cent.
    top_up(user, 500)
    MinutesEntry.objects.create(
        user=user, kind=MinutesEntryKind.ADJUSTMENT, amount=-500, currency="USD", reason="used"
    )
    invites = len(carrier.invites())

    with baresip_phone(
        username=sip["username"],
        domain=sip["domain"],
        password=sip["password"],
        proxy=kamailio.address,
        answer=False,
    ) as phone:
        wait_for(phone.registered, what="Alice registered", details=phone.output)
        phone.dial(f"sip:{LONDON}@{DOMAIN}")
        wait_for(
            lambda: "402 No international balance" in phone.output(),
            what="the refusal",
            details=lambda: phone.output() + kamailio.log(),
        )
        assert "Call established" not in phone.output()

    assert len(carrier.invites()) == invites
    assert minutes_balance(user=user) == 0
    # The call that did not go through is in Alice's call history, charged nothing.
    call_records_import()
    [record] = CallRecord.objects.filter(callee=LONDON)
    assert (record.outcome, record.sip_code, record.duration_seconds) == (
        CallOutcome.FAILED,
        "402",
        0,
    )
    assert record.caller_device == user.devices.get()
    assert not MinutesEntry.objects.filter(kind=MinutesEntryKind.CALL_CHARGE).exists()


def test_it_lets_an_account_make_one_international_call_at_a_time_from_any_of_its_lines(
    kamailio: RunningKamailio, carrier: SippServer, alice: tuple[User, dict[str, str]]
):
    user, sip = alice
    top_up(user, 500)
    # Alice's second line, on the same account and balance.
    second = fetch_sip_settings(
        Client(), make_line(user, serial="PLS10000002", number="+12125550148").boxed
    ).json()
    invites = len(carrier.invites())

    def phone(settings: dict[str, str]):
        return baresip_phone(
            username=settings["username"],
            domain=settings["domain"],
            password=settings["password"],
            proxy=kamailio.address,
            answer=False,
        )

    with phone(sip) as first, phone(second) as other:
        wait_for(first.registered, what="Alice's first line registered", details=first.output)
        wait_for(other.registered, what="Alice's second line registered", details=other.output)
        first.dial(f"sip:{LONDON}@{DOMAIN}")
        wait_for(
            lambda: "Call established" in first.output(),
            what="the first line's call established",
            details=lambda: first.output() + kamailio.log(),
        )
        # The second line may not spend the same balance at the same time.
        other.dial(f"sip:{LONDON}@{DOMAIN}")
        wait_for(
            lambda: "486 International call in progress" in other.output(),
            what="the second line's call refused",
            details=lambda: other.output() + kamailio.log(),
        )
        assert "Call established" not in other.output()
        # Once the first call has ended, the second line may call: the ended call is no
        # longer counted.
        byes = byes_to(carrier)
        first.hang_up()
        wait_for(
            lambda: byes_to(carrier) > byes,
            what="the first line's call ended",
            details=lambda: first.output() + kamailio.log(),
        )
        other.dial(f"sip:{LONDON}@{DOMAIN}")
        wait_for(
            lambda: "Call established" in other.output(),
            what="the second line's call established",
            details=lambda: other.output() + kamailio.log(),
        )

    assert len(carrier.invites()) == invites + 2
    # The second line's call is in the history as one that did not go through (busy: the
    # answer was 486).
    call_records_import()
    refused = CallRecord.objects.get(callee=LONDON, sip_code="486")
    assert (refused.outcome, refused.duration_seconds) == (CallOutcome.BUSY, 0)
    assert refused.caller == "+12125550148"
