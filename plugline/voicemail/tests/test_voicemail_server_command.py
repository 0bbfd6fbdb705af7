"""`manage.py voicemail_server` as `make sip` and the systemd unit run it: it serves calls
from the database its environment names (the embedded default's SQLite file, or
PostgreSQL), and stops cleanly, baresip with it, on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from conftest import make_subscriber
from plugline.core.ports import free_port, free_ports
from plugline.telephony.tests.sip_factory import make_line
from plugline.voicemail.models import VoicemailMessage
from plugline.voicemail.server import VoicemailServer
from plugline.voicemail.tests.phone import call, port_pair, wav_level

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "12125550147"


def database_url() -> str:
    """The test database, as DATABASE_URL names it for a process of its own."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def test_it_serves_calls_until_it_is_stopped(tmp_path: Path) -> None:
    line = make_line(make_subscriber(numbers=()).user, number=f"+{NUMBER}")
    sip_port, control_port, rtp = port_pair(), free_port(), free_ports(20)
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "VAR_DIR": str(tmp_path),
        "DEBUG": "1",
    }
    log = (tmp_path / "voicemail_server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "voicemail_server",
            f"--addr=127.0.0.1:{sip_port}",
            f"--control-port={control_port}",
            f"--rtp-ports={rtp}-{rtp + 19}",
            "--rtp-address=127.0.0.1",
            "--max-seconds=10",
        ],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # The server adds its accounts at start: the line is there once it listens.
        deadline = time.monotonic() + 30
        while b"Voicemail server on" not in (tmp_path / "voicemail_server.log").read_bytes():
            assert process.poll() is None, (tmp_path / "voicemail_server.log").read_text()
            assert time.monotonic() < deadline, "the voicemail server did not start"
            time.sleep(0.2)
        time.sleep(1)
        target = VoicemailServer(
            sip_listen=f"127.0.0.1:{sip_port}", control_port=control_port, rtp_ports=""
        )

        call(target, number=NUMBER, seconds=8)

        deadline = time.monotonic() + 5
        while not VoicemailMessage.objects.filter(device=line.boxed.device).exists():
            assert time.monotonic() < deadline, (tmp_path / "voicemail_server.log").read_text()
            time.sleep(0.2)
        message = VoicemailMessage.objects.get()
        assert (tmp_path / "media" / message.audio.name).is_file()
        assert wav_level((tmp_path / "media" / message.audio.name).read_bytes()) > 1000
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=20)
        log.close()
    assert returncode == 0, (tmp_path / "voicemail_server.log").read_text()
    # baresip stopped with it: its control socket is closed.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", control_port), timeout=2).close()
