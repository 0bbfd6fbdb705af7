"""plugline-device --register without a SIP server: what it dials, and what it says when the
portal has no line for the device or the options do not go together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from plugline.devices.agent import main
from plugline.devices.agent_phone import PhoneError, dial_uri, sip_settings_fetch
from plugline.devices.keys import device_key_generate

DOMAIN = "sip.plugline.test"


@pytest.mark.parametrize(
    ("typed", "uri"),
    [
        ("(212) 555-0148", "sip:2125550148@sip.plugline.test"),
        ("1-212-555-0148", "sip:12125550148@sip.plugline.test"),
        ("+1 212.555.0148", "sip:+12125550148@sip.plugline.test"),
        ("911", "sip:911@sip.plugline.test"),
    ],
)
def test_it_dials_a_number_typed_any_common_way(typed: str, uri: str):
    assert dial_uri(typed, domain=DOMAIN) == uri


@pytest.mark.parametrize("typed", ["alice@example.com", "sip:2125550148@evil.test", "", "12;x"])
def test_it_refuses_to_dial_what_is_not_a_phone_number(typed: str):
    with pytest.raises(PhoneError, match="is not a phone number"):
        dial_uri(typed, domain=DOMAIN)


def test_it_says_why_the_portal_gave_no_sip_settings():
    def portal(url: str, payload: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if url.endswith("/challenge"):
            return 200, {"challenge": "a-challenge"}
        return 404, {"detail": "This device has no phone line yet."}

    with pytest.raises(PhoneError, match=r"\(404\): This device has no phone line yet\."):
        sip_settings_fetch(
            portal="http://127.0.0.1:8000",
            serial="PLG20000001",
            device_key=device_key_generate(),
            post_json=portal,
        )


def test_it_refuses_a_call_without_register(capsys: pytest.CaptureFixture[str]):
    key = device_key_generate()
    arguments = ["--serial", "PLG20000001", "--key", key, "--port", "0", "--call", "2125550148"]
    assert main([*arguments, "--portal", "http://127.0.0.1:8000"]) == 2
    assert "--call, --answer and --hangup-after go with --register" in capsys.readouterr().out


PHONE = """
from plugline.devices.agent_phone import SipSettings, phone_run
sip = SipSettings("12125550147", "sip.plugline.test", "secret147", "127.0.0.1:{port}", "udp")
raise SystemExit(phone_run(sip=sip, answer=True))
"""


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.once
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_it_stops_its_phone_when_stopped_even_as_a_background_job(stop: signal.Signals):
    # A shell starts background jobs with SIGINT ignored; the phone must stop all the same.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as nobody:
        nobody.bind(("127.0.0.1", 0))  # a proxy that never answers
        port = nobody.getsockname()[1]
        agent = subprocess.Popen(
            [sys.executable, "-c", PHONE.format(port=port)],
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        phones: list[int] = []
        try:
            deadline = time.monotonic() + 30
            while not _children(agent.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            phones = _children(agent.pid)
            assert phones, "the agent runs baresip"
            time.sleep(1)  # baresip's control socket is open
            agent.send_signal(stop)
            status = agent.wait(timeout=20)
            said = agent.stdout.read().decode(errors="replace") if agent.stdout else ""
            assert status == 0, f"the agent exited with {status}, saying: {said[-3000:]}"
            deadline = time.monotonic() + 10
            while any(_alive(pid) for pid in phones) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not any(_alive(pid) for pid in phones)
        finally:
            if agent.poll() is None:
                agent.kill()
                agent.wait()
            for pid in phones:  # a phone the agent left behind, when this test fails
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)


def _sip_nobody_answers(port: int) -> Any:
    from plugline.devices.agent_phone import SipSettings

    return SipSettings("12125550147", "sip.plugline.test", "secret147", f"127.0.0.1:{port}", "udp")


@pytest.mark.once
def test_it_starts_baresip_again_on_other_ports_when_its_port_was_taken(
    monkeypatch: pytest.MonkeyPatch,
):
    from plugline.devices import agent_phone

    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as nobody,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken,
    ):
        nobody.bind(("127.0.0.1", 0))
        taken.bind(("127.0.0.1", 0))  # found free, then taken before baresip binds it
        ports = iter([taken.getsockname()[1]])
        free_pair = agent_phone._free_pair
        monkeypatch.setattr(agent_phone, "_free_pair", lambda: next(ports, None) or free_pair())
        started: list[subprocess.Popen[bytes]] = []
        start = agent_phone.Baresip._start

        def start_and_record(self: Any) -> None:
            start(self)
            started.append(self.process)

        monkeypatch.setattr(agent_phone.Baresip, "_start", start_and_record)
        phone = agent_phone.Baresip(sip=_sip_nobody_answers(nobody.getsockname()[1]), answer=False)
        try:
            assert len(started) == 2
            assert started[0].returncode == agent_phone._EADDRINUSE
            assert phone.process.poll() is None  # the second one runs
        finally:
            phone.stop()


def test_it_leaves_no_baresip_behind_when_stopped_while_it_starts(monkeypatch: pytest.MonkeyPatch):
    from plugline.devices import agent_phone

    started: list[Any] = []

    def stopped_meanwhile(self: Any) -> socket.socket:
        started.append((self.process, self.folder))
        raise KeyboardInterrupt  # Ctrl-C, or the service manager's signal

    monkeypatch.setattr(agent_phone.Baresip, "_connect", stopped_meanwhile)
    with pytest.raises(KeyboardInterrupt):
        agent_phone.Baresip(sip=_sip_nobody_answers(9), answer=False)
    [(process, folder)] = started
    assert process.poll() is not None
    assert not folder.exists()
