"""plugline-device's phone: the device's line, registered on the operator's SIP server.

    plugline-device --serial S --key K --register [--answer] [--call NUMBER [--hangup-after N]]

The agent fetches the device's SIP settings through the signed device API
(POST /api/v1/device/sip, the same challenge and signature as --check) and
runs baresip registered with them. baresip, a well-kept SIP stack, does all
of SIP and RTP; the agent only writes its configuration and drives it over
its control socket (module ctrl_tcp: JSON messages framed as netstrings),
printing what happens: registered, ringing, call established, call ended.

Without a sound card, the phone sends a 440 Hz tone and discards what it
receives. The SIP password goes to baresip over its control socket (on the
loopback interface), never to a file, and is never printed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pynetstring

from plugline.devices.keys import presence_sign

BARESIP = "baresip"
BARESIP_MODULES = "/usr/lib/baresip/modules"
# Registration, then the call's answer, must come within this long.
DEADLINE = 30.0
# What may be dialled: digits, an optional leading +, and the separators people type.
SEPARATORS = re.compile(r"[ ().-]")
DIALLABLE = re.compile(r"^\+?[0-9]{3,15}$")

_CONFIG = """poll_method epoll
sip_listen {listen_host}:{sip_port}
rtp_ports {rtp_low}-{rtp_high}
audio_source ausine,440
ausrc_srate 48000
ausrc_channels 2
audio_player aubridge,sink
audio_alert aubridge,alert
module_path {modules}
module g711.so
module ausine.so
module aubridge.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{ctrl_port}
"""


class PhoneError(Exception):
    """Something the agent cannot go on without; its message is for the person running it."""


@dataclass(frozen=True)
class SipSettings:
    username: str
    domain: str
    password: str
    proxy: str
    transport: str

    @property
    def aor(self) -> str:
        return f"{self.username}@{self.domain}"


PostJson = Callable[[str, dict[str, str]], tuple[int, dict[str, Any]]]


def sip_settings_fetch(
    *, portal: str, serial: str, device_key: str, post_json: PostJson
) -> SipSettings:
    """The device's SIP settings from the portal's device API, signed with the device's key."""
    api = portal.rstrip("/") + "/api/v1/device"
    try:
        status, answer = post_json(f"{api}/challenge", {"serial": serial})
        if status != HTTPStatus.OK:
            raise PhoneError(
                f"The portal refused a challenge ({status}): {answer.get('detail', '')}"
            )
        challenge = answer["challenge"]
        signature = presence_sign(device_key=device_key, challenge=challenge)
        status, answer = post_json(
            f"{api}/sip", {"serial": serial, "challenge": challenge, "signature": signature}
        )
    except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
        raise PhoneError(f"Could not reach the portal at {portal}: {error}") from error
    if status != HTTPStatus.OK:
        raise PhoneError(
            f"The portal gave no SIP settings for this device ({status}): "
            f"{answer.get('detail', '')}"
        )
    try:
        return SipSettings(
            username=str(answer["username"]),
            domain=str(answer["domain"]),
            password=str(answer["password"]),
            proxy=str(answer["proxy"]),
            transport=str(answer["transport"]),
        )
    except KeyError as error:
        raise PhoneError(f"The portal's SIP settings lack {error}") from error


def dial_uri(number: str, *, domain: str) -> str:
    """The SIP URI for a number typed any common way (Kamailio reads every format)."""
    digits = SEPARATORS.sub("", number.strip())
    if not DIALLABLE.match(digits):
        raise PhoneError(f"{number!r} is not a phone number (digits, optionally a leading +)")
    return f"sip:{digits}@{domain}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        return int(udp.getsockname()[1])


def _free_pair() -> int:
    """A free port whose next one is free too (baresip opens TLS on port + 1)."""
    for _ in range(100):
        port = _free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise PhoneError("No two free ports in a row for baresip")


def _listen_host(proxy: str) -> str:
    host = proxy.rsplit(":", 1)[0].strip("[]")
    return "127.0.0.1" if host in ("127.0.0.1", "localhost") else "0.0.0.0"  # noqa: S104


# baresip's exit status when a port it was given is taken (errno EADDRINUSE on Linux).
_EADDRINUSE = 98
_PORT_ATTEMPTS = 3


class _PortTaken(Exception):
    """baresip exited because a port found free was taken before it bound it."""


class Baresip:
    """baresip registered with `sip`, driven over its control socket until `stop()`."""

    def __init__(self, *, sip: SipSettings, answer: bool) -> None:
        if shutil.which(BARESIP) is None:
            raise PhoneError("baresip is not installed (Debian: apt-get install baresip-core)")
        if not (sip.password.isalnum() and sip.username.isalnum()):
            # baresip's account line has no quoting for them.
            raise PhoneError(
                "The portal's SIP username or password is not plain letters and digits"
            )
        self.sip = sip
        self.folder = Path(tempfile.mkdtemp(prefix="plugline-device-"))
        # No account in baresip's files: it is created over the control socket once the
        # agent listens there, so that no event of its registration goes unseen and the
        # password is never written to disk.
        (self.folder / "accounts").touch()
        self.account = (
            f"<sip:{sip.aor}>;auth_pass={sip.password};"
            f'outbound="sip:{sip.proxy};transport={sip.transport}";'
            f"regint=300;answermode={'auto' if answer else 'manual'}"
        )
        self.log = (self.folder / "baresip.log").open("wb")
        try:
            # A port found free can be taken by another program before baresip binds it
            # (baresip then exits with EADDRINUSE): it is started again on other ports.
            for attempt in range(_PORT_ATTEMPTS):
                self._start()
                try:
                    self.control = self._connect()
                    break
                except _PortTaken:
                    if attempt == _PORT_ATTEMPTS - 1:
                        raise PhoneError(f"baresip stopped: {self.output()[-2000:]}") from None
            self.decoder = pynetstring.Decoder()
            self.command("uanew", self.account)
        except BaseException:
            # Stopped (a signal) or failed while starting: no baresip is left behind.
            self._end()
            raise

    def _end(self) -> None:
        """baresip killed if it still runs; its socket, log and folder released."""
        process = getattr(self, "process", None)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        control = getattr(self, "control", None)
        if control is not None:
            control.close()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _start(self) -> None:
        """baresip on ports found free, its output appended to the log."""
        self.ctrl_port = _free_port()
        rtp = _free_port()
        (self.folder / "config").write_text(
            _CONFIG.format(
                listen_host=_listen_host(self.sip.proxy),
                sip_port=_free_pair(),
                rtp_low=rtp,
                rtp_high=rtp + 19,
                modules=BARESIP_MODULES,
                ctrl_port=self.ctrl_port,
            )
        )
        self.process = subprocess.Popen(  # noqa: S603 (baresip, with our own arguments)
            [BARESIP, "-f", str(self.folder)],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if self.process.returncode == _EADDRINUSE:
                    raise _PortTaken
                raise PhoneError(f"baresip stopped: {self.output()[-2000:]}")
            try:
                return socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1)
            except OSError:
                time.sleep(0.1)
        raise PhoneError("baresip's control socket did not open")

    def output(self) -> str:
        self.log.flush()
        return (self.folder / "baresip.log").read_text(errors="replace")

    def command(self, name: str, params: str = "") -> None:
        message = json.dumps({"command": name, "params": params, "token": name})
        self.control.sendall(pynetstring.encode(message))

    def messages(self, *, timeout: float) -> Iterator[dict[str, Any]]:
        """baresip's events and answers, as they come, for up to `timeout` seconds at a time."""
        self.control.settimeout(timeout)
        while True:
            try:
                data = self.control.recv(65536)
            except TimeoutError:
                yield {}
                continue
            if not data:
                raise PhoneError(f"baresip stopped: {self.output()[-2000:]}")
            for frame in self.decoder.feed(data):
                yield json.loads(frame)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.command("quit")
        # baresip quits once it has unregistered; a proxy that does not answer would keep
        # it waiting for half a minute, and the registration expires anyway.
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=3)
        self._end()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def phone_run(
    *,
    sip: SipSettings,
    answer: bool,
    call: str | None = None,
    hangup_after: float | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Register, place `call` if given (ending when it ends), else stay registered; exit code.

    A call placed returns 0 once it was established and has ended, 1 if it never was.
    """
    target = dial_uri(call, domain=sip.domain) if call else None
    if threading.current_thread() is threading.main_thread():
        # Stopped by Ctrl-C, a service manager or `kill`: stop baresip too. SIGINT is set
        # as well because a shell starts background jobs with it ignored.
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
    try:
        phone = Baresip(sip=sip, answer=answer)
    except KeyboardInterrupt:
        return 0  # stopped while baresip was starting, which it stopped too
    registered = established = False
    started = time.monotonic()
    hangup_at: float | None = None
    try:
        for message in phone.messages(timeout=0.5):
            now = time.monotonic()
            kind = message.get("type", "")
            if kind == "REGISTER_OK" and not registered:
                registered = True
                say(f"registered as {sip.aor} through {sip.proxy}")
                if target:
                    say(f"calling {target}")
                    phone.command("dial", target)
            elif kind == "REGISTER_FAIL":
                say(f"registration refused: {message.get('param', '')}".strip())
                return 1
            elif kind == "CALL_INCOMING":
                peer = message.get("peeruri", "")
                say(f"incoming call from {peer}" + ("" if answer else " (not answered: --answer)"))
            elif kind == "CALL_RINGING":
                say(f"ringing {message.get('peeruri', '')}")
            elif kind == "CALL_ESTABLISHED":
                established = True
                direction = message.get("direction", "")
                say(f"call established with {message.get('peeruri', '')} ({direction})")
                if target and hangup_after is not None:
                    hangup_at = now + hangup_after
            elif kind == "CALL_CLOSED":
                say(f"call ended: {message.get('param', '')}".strip())
                if target:
                    return 0 if established else 1
            if hangup_at is not None and now >= hangup_at:
                hangup_at = None
                phone.command("hangup")
            if not registered and now - started > DEADLINE:
                say(f"no answer to the registration from {sip.proxy} within {DEADLINE:.0f} s")
                return 1
    except KeyboardInterrupt:
        return 0
    finally:
        phone.stop()
    return 1
