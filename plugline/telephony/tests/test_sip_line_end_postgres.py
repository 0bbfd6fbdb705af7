"""A line that ends stops at once: with a real Kamailio reading the test database, a device
registered by sipp loses its registration within one second of the action that ended its
line (through Kamailio's JSON-RPC over HTTP), and its next REGISTER is refused."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from plugline.accounts.models import User
from plugline.devices.models import Activation, Device
from plugline.devices.services import device_release, device_resume, device_suspend
from plugline.devices.tests.test_transfer import LINK
from plugline.devices.transfer import transfer_request_create
from plugline.notifications.models import OutboxMessage
from plugline.telephony.lines import kamailio_rpc, sip_lines_check, sip_registrations_remove
from plugline.telephony.models import SipAccount
from plugline.telephony.services import sip_credentials_rotate
from plugline.telephony.tests.kamailio import (
    DOMAIN,
    RunningKamailio,
    SippOutcome,
    needs_postgres,
    sipp_register,
)
from plugline.telephony.tests.sip_factory import Line, fetch_sip_settings

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

# What the operator is promised: a line that ends is off Kamailio within a second.
WITHIN = 1.0


@pytest.fixture
def rpc(settings, kamailio: RunningKamailio) -> RunningKamailio:
    settings.KAMAILIO_RPC_URL = kamailio.rpc_url
    return kamailio


def register(kamailio: RunningKamailio, sip: dict[str, str], *, final: int) -> SippOutcome:
    return sipp_register(
        kamailio,
        username=sip["username"],
        domain=sip["domain"],
        password=sip["password"],
        final=final,
    )


def is_registered(kamailio: RunningKamailio, username: str) -> bool:
    dump = kamailio.rpc("ul.dump", "brief")
    assert dump.returncode == 0, dump.stdout + dump.stderr
    return f"{username}@{DOMAIN}" in dump.stdout


def registered_device(kamailio: RunningKamailio, line: Line, client: Client) -> dict[str, str]:
    sip = fetch_sip_settings(client, line.boxed).json()
    outcome = register(kamailio, sip, final=200)
    assert outcome.as_expected, outcome.output + kamailio.log()
    assert is_registered(kamailio, sip["username"])
    return sip


def seconds_until_unregistered(kamailio: RunningKamailio, username: str, since: float) -> float:
    """Poll Kamailio until `username` has no registration; seconds since `since`, or inf."""
    while time.monotonic() - since < WITHIN:
        if not is_registered(kamailio, username):
            return time.monotonic() - since
        time.sleep(0.02)
    return float("inf")


def staff_member() -> User:
    return User.objects.create_user("staff@example.com", "x", is_staff=True, is_superuser=True)


def test_it_ends_a_suspended_devices_registration_within_a_second(
    rpc: RunningKamailio, line: Line, client: Client
):
    sip = registered_device(rpc, line, client)

    started = time.monotonic()
    device_suspend(device=line.boxed.device, reason="Fraud report 4411", actor=staff_member())

    assert seconds_until_unregistered(rpc, sip["username"], started) <= WITHIN, rpc.log()
    outcome = register(rpc, sip, final=403)
    assert outcome.as_expected, outcome.output + rpc.log()


def test_it_lets_a_resumed_device_register_again(rpc: RunningKamailio, line: Line, client: Client):
    sip = registered_device(rpc, line, client)
    staff = staff_member()
    device_suspend(device=line.boxed.device, reason="Unpaid balance", actor=staff)
    assert register(rpc, sip, final=403).as_expected

    device_resume(device=line.boxed.device, reason="Balance paid", actor=staff)

    outcome = register(rpc, sip, final=200)
    assert outcome.as_expected, outcome.output + rpc.log()


def test_it_ends_a_released_devices_registration_within_a_second(
    rpc: RunningKamailio, line: Line, client: Client
):
    sip = registered_device(rpc, line, client)

    started = time.monotonic()
    device_release(device=Device.objects.get(pk=line.boxed.device.pk), keep_number=True)

    assert seconds_until_unregistered(rpc, sip["username"], started) <= WITHIN, rpc.log()
    outcome = register(rpc, sip, final=403)
    assert outcome.as_expected, outcome.output + rpc.log()


def test_it_ends_a_transferred_devices_registration_within_a_second(
    rpc: RunningKamailio, line: Line, client: Client
):
    sip = registered_device(rpc, line, client)
    device = line.boxed.device
    activation = Activation.objects.create(
        device=device, present_until=timezone.now() + timedelta(hours=1)
    )
    transfer_request_create(activation=activation)
    email = OutboxMessage.objects.filter(to_email="alice@example.com").latest("id")
    link = LINK.search(email.body_text)
    assert link is not None, email.body_text

    started = time.monotonic()
    answered = Client().post(link.group(1), {"answer": "approve"})

    assert answered.status_code == 200
    assert seconds_until_unregistered(rpc, sip["username"], started) <= WITHIN, rpc.log()
    outcome = register(rpc, sip, final=403)
    assert outcome.as_expected, outcome.output + rpc.log()


def test_it_ends_the_registration_made_with_rotated_credentials_within_a_second(
    rpc: RunningKamailio, line: Line, client: Client
):
    old = registered_device(rpc, line, client)

    started = time.monotonic()
    sip_credentials_rotate(account=SipAccount.objects.get(), actor=staff_member())

    assert seconds_until_unregistered(rpc, old["username"], started) <= WITHIN, rpc.log()
    # The old password is refused; the device fetches its new one and registers.
    assert register(rpc, old, final=401).as_expected
    new = fetch_sip_settings(client, line.boxed).json()
    outcome = register(rpc, new, final=200)
    assert outcome.as_expected, outcome.output + rpc.log()


def test_the_minute_job_ends_the_registration_of_a_line_whose_service_ended(
    rpc: RunningKamailio, line: Line, client: Client
):
    sip = registered_device(rpc, line, client)
    # Kamailio compares with the database's clock: the end date moves instead.
    line.subscription.ends_at = timezone.now() - timedelta(
        days=settings.BILLING_GRACE_DAYS, minutes=1
    )
    line.subscription.save()
    assert is_registered(rpc, sip["username"])

    started = time.monotonic()
    assert sip_lines_check() == 1

    assert seconds_until_unregistered(rpc, sip["username"], started) <= WITHIN, rpc.log()
    outcome = register(rpc, sip, final=403)
    assert outcome.as_expected, outcome.output + rpc.log()
    # Idempotent: the next run finds nothing new to end.
    assert sip_lines_check() == 0


def test_without_an_rpc_url_the_registration_stays_until_it_expires(
    kamailio: RunningKamailio, line: Line, client: Client, settings
):
    settings.KAMAILIO_RPC_URL = ""
    sip = registered_device(kamailio, line, client)

    device_suspend(device=line.boxed.device, reason="Fraud report 4412", actor=staff_member())

    # Only the view refuses it: the next REGISTER, not the live registration.
    assert is_registered(kamailio, sip["username"])
    assert register(kamailio, sip, final=403).as_expected


def test_kamailio_answers_rpc_on_its_rpc_port_only(kamailio: RunningKamailio, settings):
    settings.KAMAILIO_RPC_URL = kamailio.rpc_url
    assert kamailio_rpc("core.uptime")["uptime"] >= 0
    # Ending the registrations of an address that has none is not a failure (no retry).
    sip_registrations_remove(aor=f"19995550100@{DOMAIN}")

    # The same request to the SIP port (TCP) is refused: RPC is not for devices.
    settings.KAMAILIO_RPC_URL = f"http://127.0.0.1:{kamailio.port}/RPC"
    with pytest.raises(OSError, match="HTTP 403"):
        kamailio_rpc("core.uptime")
