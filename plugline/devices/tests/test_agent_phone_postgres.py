"""plugline-device --register against the repository's Kamailio on PostgreSQL: two devices
fetch their SIP settings through the signed device API, register with baresip, and one calls
the other, which answers; both agents report the call established."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from conftest import make_subscriber
from plugline.telephony.roles import sip_database_role_grant
from plugline.telephony.tests.calls import wait_for
from plugline.telephony.tests.kamailio import (
    DOMAIN,
    ROLE,
    RunningKamailio,
    needs_postgres,
    role_dsn,
    role_password,
    running_kamailio,
)
from plugline.telephony.tests.sip_factory import Line, make_line

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def kamailio(django_db_setup: None, django_db_blocker) -> Iterator[RunningKamailio]:
    with django_db_blocker.unblock():
        sip_database_role_grant(connection, role=ROLE, password=role_password())
        dsn = role_dsn()
    with running_kamailio(db_url=dsn, domain=DOMAIN) as running:
        yield running


@pytest.fixture
def lines(settings, kamailio: RunningKamailio) -> tuple[Line, Line]:
    """Alice's line (212) 555-0147 and Bob's (212) 555-0148, on the test Kamailio."""
    settings.SIP_DOMAIN = DOMAIN
    settings.SIP_PROXY = kamailio.address
    settings.SIP_TRANSPORT = "udp"
    alice = make_line(make_subscriber("alice@example.com", numbers=()).user)
    bob = make_line(
        make_subscriber("bob@example.com", numbers=()).user,
        serial="PLS10000002",
        number="+12125550148",
    )
    return alice, bob


@dataclass
class Agent:
    process: subprocess.Popen[bytes]
    out: Path

    def output(self) -> str:
        return self.out.read_text(errors="replace")


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@contextmanager
def agent(line: Line, portal: str, *arguments: str) -> Iterator[Agent]:
    """plugline-device for `line`'s device, its key in the environment as documented."""
    with tempfile.TemporaryDirectory(prefix="plugline-agent-") as directory:
        out = Path(directory) / "agent.out"
        env = {**os.environ, "PLUGLINE_DEVICE_KEY": line.boxed.key}
        with out.open("wb") as sink:
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "plugline.devices.agent", "--serial", line.serial),
                    *("--portal", portal, "--register", *arguments),
                ],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
            )
        try:
            yield Agent(process, out)
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=20)


def test_it_registers_two_devices_and_one_calls_the_other_which_answers(
    lines: tuple[Line, Line], live_server, kamailio: RunningKamailio
):
    alice, bob = lines
    with agent(bob, live_server.url, "--answer") as answering:
        wait_for(
            lambda: (
                "registered as 12125550148@sip.plugline.test" in answering.output()
                or answering.process.poll() is not None
            ),
            what="Bob's device registered",
        )
        assert "registered as 12125550148@" in answering.output(), answering.output()
        with agent(
            alice, live_server.url, "--call", "(212) 555-0148", "--hangup-after", "2"
        ) as caller:
            returncode = caller.process.wait(timeout=90)
            said = caller.output()
        assert returncode == 0, said + kamailio.log()[-3000:]
        assert "registered as 12125550147@sip.plugline.test" in said
        assert "call established with sip:2125550148@sip.plugline.test (outgoing)" in said
        assert "call ended" in said
        wait_for(lambda: "call ended" in answering.output(), what="Bob's side of the call ended")
        heard = answering.output()
        assert "call established with sip:12125550147@sip.plugline.test (incoming)" in heard
        phones = children(answering.process.pid)
        assert phones, "the answering agent runs baresip"
        answering.process.terminate()
        assert answering.process.wait(timeout=20) == 0
        # Stopping the agent stops its phone: none is left registered behind it.
        wait_for(lambda: not any(running(pid) for pid in phones), what="its baresip stopped")
    assert bob.boxed.key not in heard + said
