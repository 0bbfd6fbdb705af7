"""`manage.py run_kamailio` (`make sip`): Kamailio on the embedded default's SQLite file, with
the repository's configuration, authenticating against the view sip_subscriber there, ending
a line's registrations through its JSON-RPC and reading each line's call settings (sqlops on
the same file); and the packages it needs."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from conftest import make_subscriber
from plugline.accounts.models import User
from plugline.devices.services import device_suspend
from plugline.telephony.callrecords import call_records_import
from plugline.telephony.forwarding import call_settings_choice
from plugline.telephony.kamailio_run import stop, wait_until_ready
from plugline.telephony.management.commands.run_kamailio import (
    kamailio_command,
    packages_install,
    softphone_of_settings,
)
from plugline.telephony.models import CallOutcome, CallRecord
from plugline.telephony.services import call_settings_save
from plugline.telephony.sip import sip_ephemeral_credentials
from plugline.telephony.tests.calls import SippServer, sipp_call, sipp_server
from plugline.telephony.tests.kamailio import (
    DOMAIN,
    RunningKamailio,
    free_port,
    kamailio_check,
    sipp_register,
)
from plugline.telephony.tests.sip_factory import Line, fetch_sip_settings, make_line
from plugline.telephony.tests.websip import ws_register

needs_sqlite = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="run_kamailio serves the embedded default, on SQLite",
)


@pytest.fixture
def sqlite_kamailio(settings, transactional_db: None) -> Iterator[RunningKamailio]:
    """Kamailio as run_kamailio starts it, on free ports, reading the test database's file."""
    with kamailio_on_sqlite(settings) as kamailio:
        yield kamailio


@contextmanager
def kamailio_on_sqlite(settings) -> Iterator[RunningKamailio]:
    """Kamailio as run_kamailio starts it with these settings (the softphone's WebSocket when
    they offer calling from the browser), on free ports, reading the test database's file."""
    settings.SIP_DOMAIN = DOMAIN
    database = Path(connection.settings_dict["NAME"]).resolve()
    with tempfile.TemporaryDirectory(prefix="plugline-kamailio-sqlite-") as directory:
        run_dir = Path(directory)
        port, rpc_port = free_port(), free_port()
        log_path = run_dir / "kamailio.log"
        command = kamailio_command(
            database=database,
            sip_port=port,
            rpc_port=rpc_port,
            run_dir=run_dir,
            softphone=softphone_of_settings(),
        )
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        kamailio = RunningKamailio(
            process, port, DOMAIN, run_dir / "kamailio_ctl", log_path, rpc_port
        )
        try:
            wait_until_ready(kamailio)
            settings.KAMAILIO_RPC_URL = kamailio.rpc_url
            yield kamailio
        finally:
            stop(process)


def is_registered(kamailio: RunningKamailio, username: str) -> bool:
    dump = kamailio.rpc("ul.dump", "brief")
    assert dump.returncode == 0, dump.stdout + dump.stderr
    return f"{username}@{DOMAIN}" in dump.stdout


@pytest.fixture
def voicemail(settings) -> Iterator[SippServer]:
    """The voicemail server's place (a sipp UAS), in VOICEMAIL_ADDR before Kamailio starts."""
    with sipp_server() as server:
        settings.VOICEMAIL_ADDR = f"127.0.0.1:{server.port}"
        yield server


@pytest.fixture
def bob(client: Client) -> dict[str, str]:
    """Bob's line, +1 212 555 0148 (Alice's is 0147): its SIP settings, as his device
    fetched them."""
    line = make_line(
        make_subscriber("bob@example.com", numbers=()).user,
        serial="PLS10000002",
        number="+12125550148",
    )
    return fetch_sip_settings(client, line.boxed).json()


@needs_sqlite
def test_it_sends_a_call_to_voicemail_when_do_not_disturb_is_saved_on_the_sqlite_file(
    voicemail: SippServer, sqlite_kamailio: RunningKamailio, line: Line, bob: dict[str, str]
):
    kamailio = sqlite_kamailio
    device = line.boxed.device
    assert device.owner is not None
    off: dict[str, Any] = {
        "ring_seconds": 25,
        "forward_always": False,
        "forward_busy": False,
        "forward_no_answer": False,
        "forward_unreachable": False,
        "forward_to": "",
    }
    choice = call_settings_choice(own_number="+12125550147", do_not_disturb=True, **off)
    call_settings_save(device_id=device.pk, owner=device.owner, choice=choice)

    outcome = sipp_call(
        kamailio,
        username=bob["username"],
        domain=bob["domain"],
        password=bob["password"],
        dialled="2125550147",
        final=200,
    )

    assert outcome.as_expected, outcome.output + kamailio.log()
    [invite] = voicemail.invites()
    assert invite.startswith(f"INVITE sip:12125550147@127.0.0.1:{voicemail.port} "), invite
    assert "X-Plugline-Voicemail: dnd" in invite, invite


@pytest.fixture
def no_voicemail(settings) -> None:
    """Voicemail off (an empty VOICEMAIL_ADDR) in the Kamailio started after it."""
    settings.VOICEMAIL_ADDR = ""


@needs_sqlite
def test_it_keeps_a_call_to_a_line_with_no_device_registered_in_the_call_history_on_the_sqlite_file(
    no_voicemail: None, sqlite_kamailio: RunningKamailio, line: Line, bob: dict[str, str]
):
    # Kamailio answers 480 itself, without relaying the call: its acc row has no To tag,
    # and no diversion, which the SQLite driver writes as NULL.
    outcome = sipp_call(
        sqlite_kamailio,
        username=bob["username"],
        domain=bob["domain"],
        password=bob["password"],
        dialled="2125550147",
        final=480,
    )

    assert outcome.as_expected, outcome.output + sqlite_kamailio.log()
    call_records_import()
    [record] = CallRecord.objects.all()
    assert (record.caller, record.callee, record.outcome, record.sip_code) == (
        "+12125550148",
        "+12125550147",
        CallOutcome.NO_ANSWER,
        "480",
    )
    assert record.callee_device == line.boxed.device


@needs_sqlite
def test_it_registers_a_device_on_the_sqlite_file_and_ends_its_line_when_suspended(
    sqlite_kamailio: RunningKamailio, line: Line, client: Client
):
    kamailio = sqlite_kamailio
    sip = fetch_sip_settings(client, line.boxed).json()
    credentials = {"username": sip["username"], "domain": sip["domain"]}

    wrong = sipp_register(kamailio, **credentials, password="notthepassword", final=401)
    assert wrong.as_expected, wrong.output + kamailio.log()
    right = sipp_register(kamailio, **credentials, password=sip["password"], final=200)
    assert right.as_expected, right.output + kamailio.log()
    assert is_registered(kamailio, sip["username"])

    staff = User.objects.create_user("staff@example.com", "x", is_staff=True)
    started = time.monotonic()
    device_suspend(device=line.boxed.device, reason="Fraud report 4413", actor=staff)
    while is_registered(kamailio, sip["username"]) and time.monotonic() - started < 1.0:
        time.sleep(0.02)
    assert not is_registered(kamailio, sip["username"]), kamailio.log()
    refused = sipp_register(kamailio, **credentials, password=sip["password"], final=403)
    assert refused.as_expected, refused.output + kamailio.log()


def test_it_says_which_packages_to_install_when_not_root(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    said: list[str] = []
    with pytest.raises(CommandError) as refused:
        packages_install(["kamailio-sqlite-modules", "baresip-core"], say=said.append)
    assert "sudo apt-get install -y --no-install-recommends kamailio-sqlite-modules " in str(
        refused.value
    )
    assert "baresip-core" in str(refused.value)
    assert said == []


def test_it_installs_nothing_when_nothing_is_missing(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    packages_install([], say=pytest.fail)


def test_it_checks_the_sqlite_variant_of_the_configuration():
    checked = kamailio_check(
        "-A", "WITH_SQLITE", "-A", 'DBURL="sqlite:///var/lib/plugline.sqlite3"'
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@needs_sqlite
def test_it_registers_the_browser_over_the_websocket_on_the_sqlite_file(
    settings, transactional_db: None, line: Line
):
    # What `make sip` sets where rtpengine is installed (Makefile, SOFTPHONE_ENV).
    ws_port = free_port()
    settings.SIP_WS_URL = f"ws://127.0.0.1:{ws_port}/"
    settings.SIP_EPHEMERAL_SECRET = "a-secret-made-for-this-run"
    settings.SITE_URL = "http://127.0.0.1:8000"
    auth_user, password = sip_ephemeral_credentials(
        username="12125550147",
        expires_at=int(time.time()) + 300,
        secret="a-secret-made-for-this-run",
    )

    with kamailio_on_sqlite(settings) as kamailio:
        registered = ws_register(
            settings.SIP_WS_URL,
            user="12125550147",
            domain=DOMAIN,
            auth_user=auth_user,
            password=password,
            origin="http://127.0.0.1:8000",
        )
        binding = kamailio.rpc("ul.lookup", "location", f"12125550147@{DOMAIN}").stdout

    assert registered == 200, kamailio.log()
    assert "transport=ws" in binding


def test_it_leaves_the_websocket_off_when_the_portal_offers_no_calls_from_the_browser(
    settings, tmp_path: Path
):
    settings.SIP_WS_URL = ""

    command = kamailio_command(
        database=tmp_path / "plugline.sqlite3",
        sip_port=5060,
        rpc_port=5064,
        run_dir=tmp_path,
        softphone=softphone_of_settings(),
    )

    assert "WITH_WEBSOCKET" not in command
    assert not any(word.startswith("LISTEN_WS=") for word in command)


@needs_sqlite
@pytest.mark.parametrize("dialled", ["+442071234567", "0033142685300"])
def test_it_refuses_international_calls_on_the_sqlite_file(
    sqlite_kamailio: RunningKamailio, line: Line, client: Client, dialled: str
):
    # No balance to read there (the function Kamailio asks is PostgreSQL's): refused, not free.
    caller = fetch_sip_settings(client, line.boxed).json()

    outcome = sipp_call(
        sqlite_kamailio,
        username=caller["username"],
        domain=caller["domain"],
        password=caller["password"],
        dialled=dialled,
        final=403,
    )

    assert outcome.as_expected, outcome.output + sqlite_kamailio.log()
    assert "International calls are not available" in outcome.output
    # The call that did not go through is in the caller's call history.
    call_records_import()
    [record] = CallRecord.objects.all()
    assert (record.caller, record.callee, record.outcome, record.sip_code) == (
        "+12125550147",
        "+" + dialled.lstrip("+0"),
        CallOutcome.FAILED,
        "403",
    )
