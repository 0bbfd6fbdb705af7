"""For the voicemail tests: the voicemail server on free ports in a thread, and a caller
(baresip playing a tone file) that dials it directly, as Kamailio would relay the call."""

from __future__ import annotations

import math
import subprocess
import tempfile
import threading
import time
import wave
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from plugline.core.ports import free_port, free_ports
from plugline.voicemail.audio import Pcm, level, wav_bytes, wav_read
from plugline.voicemail.server import VoicemailServer

CALLER_CONFIG = """poll_method epoll
sip_listen 127.0.0.1:{port}
rtp_ports {rtp}-{rtp_high}
net_interface 127.0.0.1
audio_source aufile,{tone}
ausrc_srate 8000
ausrc_channels 1
audio_player aubridge,caller
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module aubridge.so
module_tmp account.so
module_app menu.so
"""


def port_pair() -> int:
    """A free port whose next one is free too (baresip opens TLS on port + 1)."""
    return free_ports(2)


def tone_wav(seconds: float, *, frequency: float = 440.0, amplitude: int = 8000) -> bytes:
    """A sine tone, 8 kHz mono 16-bit PCM."""
    samples = array(
        "h",
        (
            int(amplitude * math.sin(2 * math.pi * frequency * n / 8000))
            for n in range(int(seconds * 8000))
        ),
    )
    return wav_bytes(Pcm(frames=samples.tobytes(), rate=8000, channels=1))


def wav_level(data: bytes) -> int:
    """RMS of a WAV file's samples (0 is silence)."""
    return level(wav_read(data))


def wav_seconds(data: bytes) -> float:
    import io

    with wave.open(io.BytesIO(data)) as source:
        return source.getnframes() / source.getframerate()


@contextmanager
def voicemail_server(*, max_seconds: int = 120) -> Iterator[VoicemailServer]:
    """The voicemail server on free ports of 127.0.0.1, serving in a thread."""
    rtp = free_ports(20)
    server = VoicemailServer(
        sip_listen=f"127.0.0.1:{port_pair()}",
        control_port=free_port(),
        rtp_ports=f"{rtp}-{rtp + 19}",
        net_interface="127.0.0.1",
        max_seconds=max_seconds,
    )
    server.start()
    stop = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        from django.db import connections

        try:
            server.serve(stop)
        except BaseException as error:  # shown by the test
            failure.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=10)
        server.stop()
    assert not failure, failure


def wait_for_mailbox(server: VoicemailServer, number: str, *, timeout: float = 10) -> None:
    """Until the server has an account for `number` (it follows the open lines)."""
    deadline = time.monotonic() + timeout
    while number not in server.accounts:
        if time.monotonic() > deadline:
            raise AssertionError(f"no mailbox for {number}: {sorted(server.accounts)}")
        time.sleep(0.1)


def call(
    server: VoicemailServer,
    *,
    number: str,
    caller: str = "12125550199",
    seconds: float,
    headers: str = "",
) -> str:
    """`caller` calls `number`'s mailbox on the server and sends a tone for `seconds`,
    then hangs up (baresip ends the call at the end of its file). baresip's output."""
    return dial(f"sip:{number}@{server.sip_listen}", caller=caller, seconds=seconds)


def dial(
    uri: str,
    *,
    caller: str = "12125550199",
    caller_domain: str = "127.0.0.1",
    outbound: str = "",
    seconds: float,
) -> str:
    """`caller`@`caller_domain`, unregistered, dials `uri` (through the proxy `outbound`,
    host:port, if given) and sends a tone for `seconds`, then hangs up (baresip ends the
    call at the end of its file, if the other side has not hung up before). baresip's
    output."""
    with tempfile.TemporaryDirectory(prefix="plugline-vm-caller-") as directory:
        folder = Path(directory)
        (folder / "tone.wav").write_bytes(tone_wav(seconds))
        rtp = free_ports(10)
        (folder / "config").write_text(
            CALLER_CONFIG.format(
                port=port_pair(), rtp=rtp, rtp_high=rtp + 9, tone=folder / "tone.wav"
            )
        )
        proxy = f';outbound="sip:{outbound}"' if outbound else ""
        (folder / "accounts").write_text(f"<sip:{caller}@{caller_domain}>;regint=0{proxy}\n")
        result = subprocess.run(
            [
                "baresip",
                "-f",
                str(folder),
                "-t",
                str(int(seconds + 6)),
                "-e",
                f"/dial {uri}",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=False,
        )
        return result.stdout + result.stderr
