"""The voicemail server: baresip answers, plays the greeting and records; Plugline drives it.

baresip (Debian's baresip-core) does all of SIP and RTP. It listens on VOICEMAIL_ADDR
without registering anywhere, with one account per open line (`<sip:NUMBER@host>`,
regint=0, answermode=manual): the Request-URI's user picks the account, so the account
in each event is the mailbox; baresip itself answers 404 for a number with no open line.
Plugline talks to it over its control socket (module ctrl_tcp: JSON framed as netstrings):

1. CALL_INCOMING (the account is the mailbox, the peer the caller): Plugline writes what
   to play, the line's greeting, a tone, then silence as long as a message may last, and
   answers (`/accept`); at CALL_ESTABLISHED it makes that file the call's audio source
   (`/ausrc aufile,<file>`: a call takes its source when it comes in, so the switch waits
   until its audio runs).
2. baresip's sndfile module writes the audio it receives to a WAV file per call.
3. CALL_CLOSED (the caller hung up, or Plugline did at VOICEMAIL_MAX_SECONDS after the
   tone, or baresip at the end of the file): the recording after the tone becomes the
   line's message (plugline.voicemail.services.voicemail_message_store), and its files go.

sndfile names a recording after the second its call's audio started, in one folder for
every call; so calls are answered one at a time, at least a second apart, and a call's
recording is the one that appeared while it was being answered (a second caller rings
a moment longer). The accounts follow the open lines: every few seconds the server adds
the lines that opened and removes those that closed.

The server trusts whatever reaches VOICEMAIL_ADDR (no registration, no authentication):
it must listen on loopback or a private address that only Kamailio reaches.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pynetstring
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from plugline.voicemail.audio import message_from_recording, prompt_write
from plugline.voicemail.selectors import mailbox_line_for_number, mailbox_numbers_live
from plugline.voicemail.services import voicemail_message_store

logger = logging.getLogger(__name__)

BARESIP = "baresip"
MODULES = Path("/usr/lib/baresip/modules")
STARTUP_SECONDS = 15.0
# How often the accounts are matched with the open lines.
SYNC_SECONDS = 3.0
# A call that is closed is read this long after (baresip closes its recording just after).
READ_DELAY_SECONDS = 0.5
# The silence after the tone outlasts VOICEMAIL_MAX_SECONDS by this much: Plugline hangs
# up first, the end of the file is the backstop.
FILE_MARGIN_SECONDS = 5

_CONFIG = """\
poll_method epoll
sip_listen {sip_listen}
rtp_ports {rtp_ports}
{net_interface}
call_max_calls 4
audio_source aufile,{silence}
audio_player aubridge,voicemail
ausrc_srate 8000
ausrc_channels 1
module_path {modules}
module g711.so
module aufile.so
module aubridge.so
module sndfile.so
snd_path {snd_path}
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{control_port}
"""

_SIP_USER = re.compile(r"^sips?:([^@;>]+)@")


def sip_user(uri: str) -> str:
    """The user part of a SIP URI as baresip's events give it ("" if there is none)."""
    match = _SIP_USER.match(uri.strip().strip("<>"))
    return match.group(1) if match else ""


class VoicemailServerError(Exception):
    pass


@dataclass
class Call:
    id: str
    aor: str
    number: str
    caller: str
    prompt: Path
    skip_seconds: float = 0.0
    answered_at: float | None = None
    recording: Path | None = None
    closed_at: float | None = None


@dataclass
class VoicemailServer:
    """baresip on `sip_listen`, driven over its control socket on `control_port`."""

    sip_listen: str
    control_port: int
    rtp_ports: str
    net_interface: str = ""
    max_seconds: int = 120
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="plugline-vm-")))
    say: Callable[[str], None] = logger.info
    process: subprocess.Popen[bytes] | None = None
    calls: dict[str, Call] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)  # incoming, not answered yet
    answering: str | None = None  # answered, its recording not found yet
    last_answer: float = 0.0
    accounts: set[str] = field(default_factory=set)
    claimed: set[str] = field(default_factory=set)
    last_sync: float = 0.0

    @property
    def host(self) -> str:
        return self.sip_listen.rsplit(":", 1)[0]

    @property
    def snd(self) -> Path:
        return self.folder / "snd"

    def aor(self, number: str) -> str:
        return f"sip:{number}@{self.host}"

    # baresip

    def start(self) -> None:
        if shutil.which(BARESIP) is None:
            raise VoicemailServerError(
                "baresip is not installed (Debian: apt-get install baresip-core)"
            )
        self.snd.mkdir(parents=True, exist_ok=True)
        (self.folder / "prompts").mkdir(exist_ok=True)
        silence = self.folder / "silence.wav"
        # What a call plays until its greeting replaces it (baresip ends a call at the end
        # of its audio file: a call whose greeting could not be set ends after this).
        prompt_write(greeting=_silence_wav(), path=silence, record_seconds=10)
        (self.folder / "config").write_text(
            _CONFIG.format(
                sip_listen=self.sip_listen,
                rtp_ports=self.rtp_ports,
                net_interface=f"net_interface {self.net_interface}" if self.net_interface else "",
                silence=silence,
                modules=MODULES,
                snd_path=self.snd,
                control_port=self.control_port,
            )
        )
        # Accounts are added over the control socket, once it is listening.
        (self.folder / "accounts").touch()
        self.log = (self.folder / "baresip.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603 (baresip with our own arguments)
            [BARESIP, "-f", str(self.folder)],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "TZ": "UTC"},
        )
        self.decoder = pynetstring.Decoder()
        self.control = self._connect()
        self.say(f"Voicemail server on udp:{self.sip_listen} (baresip, pid {self.process.pid})")
        self.sync_accounts()

    def _connect(self) -> socket.socket:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise VoicemailServerError(f"baresip stopped: {self.output()[-2000:]}")
            try:
                return socket.create_connection(("127.0.0.1", self.control_port), timeout=1)
            except OSError:
                time.sleep(0.1)
        raise VoicemailServerError(f"baresip's control socket did not open: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        return (self.folder / "baresip.log").read_text(errors="replace")

    def command(self, name: str, params: str = "") -> None:
        message = json.dumps({"command": name, "params": params, "token": name})
        self.control.sendall(pynetstring.encode(message))

    def messages(self, *, timeout: float) -> Iterator[dict[str, Any]]:
        """baresip's events and answers as they come; {} after `timeout` with none."""
        self.control.settimeout(timeout)
        while True:
            try:
                data = self.control.recv(65536)
            except TimeoutError:
                yield {}
                continue
            if not data:
                raise VoicemailServerError(f"baresip stopped: {self.output()[-2000:]}")
            for frame in self.decoder.feed(data):
                yield json.loads(frame)

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(OSError):
            self.command("quit")
        try:
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        with contextlib.suppress(OSError):
            self.control.close()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.process = None

    # The loop

    def serve(self, stop: threading.Event) -> None:
        """Handle calls until `stop` is set."""
        for message in self.messages(timeout=0.2):
            if message.get("event"):
                self.on_event(message)
            self.tick()
            if stop.is_set():
                return

    def tick(self) -> None:
        now = time.monotonic()
        if now - self.last_sync >= SYNC_SECONDS:
            self.sync_accounts()
        self._answer_next(now)
        for call in list(self.calls.values()):
            if call.closed_at is not None and now - call.closed_at >= READ_DELAY_SECONDS:
                self._finish(call)
            elif (
                call.answered_at is not None
                and call.closed_at is None
                and now - call.answered_at >= call.skip_seconds + self.max_seconds
            ):
                self.say(f"Voicemail for {call.number}: {self.max_seconds} s reached, hanging up")
                self._select(call)
                self.command("hangup")
                call.answered_at = None  # once

    def sync_accounts(self) -> None:
        """One account per open line: add the new ones, remove those of closed lines."""
        self.last_sync = time.monotonic()
        close_old_connections()
        live = mailbox_numbers_live()
        busy = {call.number for call in self.calls.values()}
        for number in sorted(live - self.accounts):
            self.command("uanew", f"<{self.aor(number)}>;regint=0;answermode=manual")
            self.accounts.add(number)
        for number in sorted(self.accounts - live - busy):
            self.command("uadel", self.aor(number))
            self.accounts.discard(number)

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        call_id = str(event.get("id", ""))
        if kind == "CALL_INCOMING":
            self._incoming(event)
        elif kind == "CALL_ESTABLISHED" and call_id in self.calls:
            self._established(self.calls[call_id])
        elif kind == "CALL_CLOSED" and call_id in self.calls:
            call = self.calls[call_id]
            call.closed_at = time.monotonic()
            if call_id in self.waiting:
                self.waiting.remove(call_id)
            if self.answering == call_id:
                self._established(call)

    def _incoming(self, event: dict[str, Any]) -> None:
        aor = str(event.get("accountaor", ""))
        number = sip_user(aor)
        caller = sip_user(str(event.get("peeruri", "")))
        call = Call(
            id=str(event["id"]),
            aor=aor,
            number=number,
            caller=caller,
            prompt=self.folder / "prompts" / f"{event['id']}.wav",
        )
        self.calls[call.id] = call
        close_old_connections()
        line = mailbox_line_for_number(number)
        if line is None:
            self.say(f"Voicemail for {number}: no open line, refused")
            self._select(call)
            self.command("hangup")
            del self.calls[call.id]
            return
        call.skip_seconds = prompt_write(
            greeting=line.greeting,
            path=call.prompt,
            record_seconds=self.max_seconds + FILE_MARGIN_SECONDS,
        )
        self.waiting.append(call.id)
        self._answer_next(time.monotonic())

    def _select(self, call: Call) -> None:
        """Make `call` baresip's current call (its commands act on the current one)."""
        self.command("uafind", call.aor)
        self.command("callfind", call.id)

    def _answer_next(self, now: float) -> None:
        # One call at a time, a second apart: sndfile names recordings by the second.
        if self.answering is not None or not self.waiting or now - self.last_answer < 1.1:
            return
        call = self.calls[self.waiting.pop(0)]
        self._select(call)
        self.command("accept")
        self.last_answer = now
        self.answering = call.id
        self.say(f"Voicemail for {call.number} from {call.caller or 'a hidden number'}")

    def _established(self, call: Call) -> None:
        """The call's audio has started: its recording is the new file in the folder."""
        if self.answering == call.id:
            self.answering = None
        fresh = sorted(
            path for path in self.snd.glob("dump-*-dec.wav") if path.name not in self.claimed
        )
        if fresh and call.recording is None:
            call.recording = fresh[-1]
            self.claimed.add(call.recording.name)
        if call.closed_at is None:
            # A call takes its audio source when it comes in; the greeting is given to it
            # once its audio runs (until then it plays the configuration's silence).
            self._select(call)
            self.command("ausrc", f"aufile,{call.prompt}")
            call.answered_at = time.monotonic()

    def _finish(self, call: Call) -> None:
        del self.calls[call.id]
        try:
            recording = call.recording.read_bytes() if call.recording else b""
            message = message_from_recording(recording, skip_seconds=call.skip_seconds)
            if message is None:
                self.say(f"Voicemail for {call.number}: no message left")
                return
            close_old_connections()
            stored = voicemail_message_store(
                number=call.number,
                caller=call.caller,
                received_at=timezone.now(),
                audio=message,
            )
            if stored is not None:
                self.say(
                    f"Voicemail for {call.number}: message {stored.pk}, {stored.duration_seconds} s"
                )
        except Exception:
            logger.exception("voicemail for %s could not be stored", call.number)
        finally:
            for path in (
                call.prompt,
                call.recording,
                call.recording.with_name(call.recording.name.replace("-dec", "-enc"))
                if call.recording
                else None,
            ):
                if path is not None:
                    path.unlink(missing_ok=True)


def _silence_wav() -> bytes:
    from plugline.voicemail.audio import Pcm, wav_bytes

    return wav_bytes(Pcm(frames=b"\x00\x00" * 8000, rate=8000, channels=1))


def server_from_settings(**overrides: Any) -> VoicemailServer:
    options: dict[str, Any] = {
        "sip_listen": settings.VOICEMAIL_ADDR,
        "control_port": settings.VOICEMAIL_CONTROL_PORT,
        "rtp_ports": settings.VOICEMAIL_RTP_PORTS,
        "net_interface": settings.VOICEMAIL_RTP_ADDRESS,
        "max_seconds": settings.VOICEMAIL_MAX_SECONDS,
    }
    options.update(overrides)
    return VoicemailServer(**options)
