"""`make sip` with calls from the browser: it starts rtpengine (`manage.py run_rtpengine`,
userspace, deploy/rtpengine/rtpengine.conf on 127.0.0.1) and gives Kamailio, the web server
and the rest one WebSocket URL and one secret, only where rtpengine is installed; without it
it says that calls from the browser are off."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plugline.core.ports import free_port, free_ports
from plugline.telephony.kamailio_run import stop
from plugline.telephony.management.commands.run_rtpengine import (
    CONFIG,
    port_range,
    rtpengine_command,
)

ROOT = Path(__file__).resolve().parents[3]


def sip_commands(path: str) -> dict[str, dict[str, str]]:
    """What `make sip` would start, by manage.py command: its VAR=value words, with `path` as
    the PATH make looks for rtpengine in."""
    make = shutil.which("make")
    assert make is not None
    printed = subprocess.run(
        [make, "-n", "sip"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PATH": path},
    ).stdout
    commands = {}
    for line in printed.splitlines():
        words = shlex.split(line.rstrip("\\ &"))
        if "manage.py" in words and "--install-only" not in words:
            at = words.index("manage.py")
            assignments = dict(word.split("=", 1) for word in words[: at - 1] if "=" in word)
            commands[words[at + 1]] = assignments
    return commands


def test_it_starts_rtpengine_and_kamailios_websocket_in_make_sip_where_rtpengine_is():
    rtpengine = shutil.which("rtpengine")
    assert rtpengine is not None, "apt-get install rtpengine-daemon, as .ci/run does"

    commands = sip_commands(f"{Path(rtpengine).parent}{os.pathsep}{os.environ['PATH']}")

    assert "run_rtpengine" in commands
    kamailio, web = commands["run_kamailio"], commands["runserver"]
    assert kamailio["SIP_WS_URL"] == web["SIP_WS_URL"] == "ws://127.0.0.1:5066/"
    # One secret, made for this run, shared by Kamailio and the portal that issues credentials.
    assert len(kamailio["SIP_EPHEMERAL_SECRET"]) == 64
    assert kamailio["SIP_EPHEMERAL_SECRET"] == web["SIP_EPHEMERAL_SECRET"]
    assert commands["run_rtpengine"]["RTPENGINE_NG_PORT"] == kamailio["RTPENGINE_NG_PORT"]
    assert (
        sip_commands(os.environ["PATH"])["runserver"]["SIP_EPHEMERAL_SECRET"]
        != (web["SIP_EPHEMERAL_SECRET"])
    )


def test_it_turns_calls_from_the_browser_off_in_make_sip_without_rtpengine(tmp_path: Path):
    commands = sip_commands(str(tmp_path))  # a PATH with no rtpengine in it

    assert "SIP_WS_URL" not in commands["runserver"]
    assert "SIP_EPHEMERAL_SECRET" not in commands["run_kamailio"]


def test_it_says_calls_from_the_browser_are_off_without_rtpengine(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    out = StringIO()

    call_command("run_rtpengine", stdout=out)

    assert "rtpengine is not installed, so calls from the browser are off" in out.getvalue()
    assert "apt-get install rtpengine-daemon" in out.getvalue()


def test_it_refuses_a_port_range_that_is_not_one():
    assert port_range("30000-30099") == (30000, 30099)
    for wrong in ("30000", "30099-30000", "a-b", "80-90"):
        with pytest.raises(CommandError):
            port_range(wrong)


def test_it_runs_rtpengine_in_userspace_with_the_deploy_configuration(tmp_path: Path):
    control, media = free_port(), free_ports(10, even=True)
    command = rtpengine_command(
        interface="127.0.0.1", ng_port=control, ports=(media, media + 9), run_dir=tmp_path
    )
    assert f"--config-file={CONFIG}" in command
    log_path = tmp_path / "rtpengine.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    answer = b""
    try:
        deadline = time.monotonic() + 30
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ng:
            ng.settimeout(0.5)
            while not answer and time.monotonic() < deadline and process.poll() is None:
                ng.sendto(b"sip d7:command4:pinge", ("127.0.0.1", control))
                try:
                    answer = ng.recv(1024)
                except TimeoutError:
                    continue
    finally:
        stop(process)

    assert b"d6:result4:ponge" in answer, log_path.read_text(errors="replace")
