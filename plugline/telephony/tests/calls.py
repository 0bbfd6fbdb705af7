"""Calls through Kamailio for the tests: sipp answering as a UAS (a registered device, the
carrier's trunk, the emergency service), sipp placing a call with digest authentication, and
two baresip phones calling each other.

Every process listens on a free port, is stopped when its block ends, and every wait polls
with a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import wave
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import pynetstring

from plugline.core.ports import free_port, free_ports
from plugline.telephony.tests.kamailio import SIPP_TIMEOUT, RunningKamailio, SippOutcome

DEADLINE = 60.0


def wait_for(
    condition: Callable[[], bool],
    *,
    what: str,
    timeout: float = DEADLINE,
    details: Callable[[], str] | None = None,
) -> None:
    """Poll `condition` until it holds, or fail after `timeout` seconds (with `details()`,
    e.g. the processes' output, in the failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(
        f"not seen within {timeout} s: {what}" + (f"\n{details()}" if details else "")
    )


def _holds_udp_port(pid: int, port: int) -> bool:
    """Process `pid` has a UDP socket bound to `port` (not merely: something has)."""
    try:
        sockets = psutil.Process(pid).net_connections(kind="udp")
    except psutil.NoSuchProcess:
        return False
    return any(bound.laddr and bound.laddr.port == port for bound in sockets)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


@dataclass
class SippServer:
    """sipp's embedded UAS on 127.0.0.1:port, logging every message it sends and receives."""

    process: subprocess.Popen[bytes]
    port: int
    messages_path: Path

    @property
    def uri(self) -> str:
        return f"sip:127.0.0.1:{self.port}"

    def messages(self) -> str:
        if not self.messages_path.exists():
            return ""
        return self.messages_path.read_text(errors="replace")

    def invites(self) -> list[str]:
        """The INVITEs it received, each its request line and headers."""
        return [
            "INVITE " + part.split("\n\n", 1)[0].split("\r\n\r\n", 1)[0]
            for part in self.messages().split("\nINVITE ")[1:]
        ]


# sipp's embedded "uas" scenario, answering with the Record-Route set so
# that the caller's ACK and BYE come back through Kamailio.
UAS_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="uas-record-route">
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""


# A device that rings, then refuses the call with {final} (busy, no answer...).
UAS_REFUSING_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="uas-refusing">
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 {final} Refused
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
</scenario>
"""


# A device that rings and is never answered: the call is cancelled (487 to the INVITE).
UAS_RINGING_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="uas-ringing">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="cseq_number"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <recv request="CANCEL"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq: [$cseq_number] INVITE
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
</scenario>
"""


@contextmanager
def sipp_server(
    *, port: int | None = None, refuse_with: int | None = None, ring_only: bool = False
) -> Iterator[SippServer]:
    """sipp answering every call it receives (180, 200, then BYE answered), or refusing each
    with `refuse_with` after ringing, or (`ring_only`) ringing until the call is cancelled,
    until the block ends."""
    with tempfile.TemporaryDirectory(prefix="plugline-sipp-uas-") as directory:
        folder = Path(directory)
        port = port or free_port()
        messages = folder / "messages.log"
        scenario = folder / "uas.xml"
        if ring_only:
            scenario.write_text(UAS_RINGING_SCENARIO)
        elif refuse_with is None:
            scenario.write_text(UAS_SCENARIO)
        else:
            scenario.write_text(UAS_REFUSING_SCENARIO.replace("{final}", str(refuse_with)))
        with (folder / "sipp.out").open("wb") as out, (folder / "sipp.err").open("wb") as err:
            process = subprocess.Popen(
                [
                    "sipp",
                    "-sf",
                    str(scenario),
                    "-i",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-nostdin",
                    "-trace_msg",
                    "-message_file",
                    str(messages),
                ],
                stdout=out,
                stderr=err,
                cwd=folder,
                start_new_session=True,
            )
        try:
            wait_for(
                lambda: process.poll() is not None or _holds_udp_port(process.pid, port),
                what=f"sipp UAS listening on {port}",
            )
            if process.poll() is not None:
                # Its screens, then why it stopped (its errors), last where a log's tail shows it.
                raise RuntimeError(
                    f"sipp UAS stopped while starting on port {port}:\n"
                    + (folder / "sipp.out").read_text(errors="replace")
                    + (folder / "sipp.err").read_text(errors="replace")
                )
            yield SippServer(process, port, messages)
        finally:
            _stop(process)


# A call placed by sipp: INVITE, challenged (407), sent again with the
# caller's credentials, answered by {final}; answered calls are then
# acknowledged and hung up through Kamailio (its Record-Route). Injection
# fields: 0 caller, 1 domain, 2 [authentication ...], 3 the number dialled,
# 4 the caller's domain (another one than Plugline's is never challenged).
_INVITE = """
      INVITE sip:[field3]@[field1] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[field4]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field3]@[field1]>
      Call-ID: [call_id]
      CSeq: {cseq} INVITE
      Contact: <sip:[field0]@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
{headers}      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=[field0] 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
"""

_ACK_FAILURE = """
      ACK sip:[field3]@[field1] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-2]
      From: <sip:[field0]@[field4]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field3]@[field1]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} ACK
      Max-Forwards: 70
      Content-Length: 0
"""


def _send(message: str) -> str:
    # ACKs and answers are never answered: only requests that are get retransmitted.
    retrans = "" if message.strip().startswith(("ACK", "SIP/2.0")) else ' retrans="500"'
    return f"  <send{retrans}>\n    <![CDATA[\n{message}\n    ]]>\n  </send>\n"


def _invite(*, cseq: int, auth: str, extra: str) -> str:
    """The INVITE with the headers given; none left empty (an empty line ends the headers)."""
    headers = "".join(f"      {header}\n" for header in (auth, extra) if header)
    return _INVITE.format(cseq=cseq, headers=headers)


def call_scenario(
    final: int, *, extra_header: str = "", challenged: bool = True, held: bool = False
) -> str:
    """sipp's scenario for a call answered by `final` once the caller is authenticated (or at
    once if not `challenged`), its INVITEs carrying `extra_header` if given. A `held` call,
    once answered, is not hung up by the caller: it waits for a BYE (Kamailio's, when the line
    ends) and answers it."""
    steps = []
    if challenged:
        steps += [
            _send(_invite(cseq=1, auth="", extra=extra_header)),
            '  <recv response="100" optional="true"/>\n',
            '  <recv response="407" auth="true"/>\n',
            _send(_ACK_FAILURE.format(cseq=1)),
        ]
    steps += [
        _send(_invite(cseq=2, auth="[field2]" if challenged else "", extra=extra_header)),
        '  <recv response="100" optional="true"/>\n',
        '  <recv response="180" optional="true"/>\n',
    ]
    if final == 200:
        steps += [
            '  <recv response="200" rrs="true"/>\n',
            _send(
                """
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field3]@[field1]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0
"""
            ),
        ]
    if final == 200 and held:
        steps += [
            '  <recv request="BYE" timeout="30000"/>\n',
            _send(
                """
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
"""
            ),
        ]
    elif final == 200:
        steps += [
            _send(
                """
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field3]@[field1]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0
"""
            ),
            '  <recv response="200"/>\n',
        ]
    else:
        steps += [f'  <recv response="{final}"/>\n', _send(_ACK_FAILURE.format(cseq=2))]
    return (
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
        '<!DOCTYPE scenario SYSTEM "sipp.dtd">\n'
        '<scenario name="call-digest">\n' + "".join(steps) + "</scenario>\n"
    )


def sipp_call(
    kamailio: RunningKamailio,
    *,
    username: str,
    domain: str,
    password: str,
    dialled: str,
    final: int,
    extra_header: str = "",
    caller_domain: str | None = None,
    held: bool = False,
) -> SippOutcome:
    """`username` dials `dialled` with sipp; the outcome says whether `final` answered it. A
    `caller_domain` other than `domain` places the call from outside Plugline, unchallenged.
    A `held` call lasts until Kamailio ends it (see call_scenario)."""
    if any(char in username + password + dialled for char in ";[] \t\r\n"):
        raise ValueError("sipp's injection file takes no separator, bracket or space here")
    with tempfile.TemporaryDirectory(prefix="plugline-sipp-uac-") as directory:
        folder = Path(directory)
        scenario = folder / "call.xml"
        challenged = caller_domain in (None, domain)
        scenario.write_text(
            call_scenario(final, extra_header=extra_header, challenged=challenged, held=held)
        )
        fields = folder / "call.csv"
        fields.write_text(
            "SEQUENTIAL\n"
            f"{username};{domain};[authentication username={username} password={password}];"
            f"{dialled};{caller_domain or domain}\n"
        )
        result = subprocess.run(
            [
                "sipp",
                "-sf",
                str(scenario),
                "-inf",
                str(fields),
                "-i",
                "127.0.0.1",
                "-p",
                str(free_port()),
                "-m",
                "1",
                "-nostdin",
                "-recv_timeout",
                "20000",
                "-timeout",
                f"{SIPP_TIMEOUT}s",
                "-timeout_error",
                "-trace_err",
                "-error_file",
                str(folder / "errors.log"),
                "-trace_msg",
                "-message_file",
                str(folder / "messages.log"),
                kamailio.address,
            ],
            capture_output=True,
            text=True,
            timeout=SIPP_TIMEOUT + 30,
            check=False,
            cwd=folder,
        )
        logs = [folder / "errors.log", folder / "messages.log"]
        output = (
            result.stdout[-3000:]
            + result.stderr
            + "".join(log.read_text(errors="replace") for log in logs if log.exists())
        )
        return SippOutcome(result.returncode, output)


# baresip: a phone without a sound card, sending a 440 Hz tone and writing
# what it sends and receives as WAV files (module sndfile).
_BARESIP_CONFIG = """poll_method epoll
sip_listen 127.0.0.1:{port}
rtp_ports {rtp_low}-{rtp_high}
audio_source ausine,440
ausrc_srate 48000
ausrc_channels 2
audio_player aubridge,sink
audio_alert aubridge,alert
module_path /usr/lib/baresip/modules
module g711.so
module ausine.so
module aubridge.so
module sndfile.so
snd_path {snd_path}
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{ctrl_port}
"""


@dataclass
class Phone:
    process: subprocess.Popen[bytes]
    folder: Path
    ctrl_port: int

    def output(self) -> str:
        return (self.folder / "baresip.out").read_text(errors="replace")

    def registered(self) -> bool:
        return "[1 binding]" in self.output()

    def dial(self, uri: str) -> None:
        """Dial `uri` now, over baresip's control socket (ctrl_tcp: a netstring of JSON).
        Dial once registered: a command given at start-up may run before the account is
        ready, and then nothing is dialled at all."""
        self._command("dial", uri)

    def hang_up(self) -> None:
        """Hang up the call going on, over the control socket."""
        self._command("hangup", "")

    def _command(self, command: str, params: str) -> None:
        message = json.dumps({"command": command, "params": params, "token": command})
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=5) as ctrl:
                    ctrl.sendall(pynetstring.encode(message))
                    # The answer to the command: baresip has taken it.
                    ctrl.recv(65536)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """Hang up and quit (baresip then closes its recordings)."""
        _stop(self.process)

    def recorded_bytes(self) -> int:
        """Bytes of received audio recorded so far (grows while media arrives)."""
        return sum(path.stat().st_size for path in (self.folder / "snd").glob("*-dec.wav"))

    def received_audio_seconds(self) -> float:
        """Seconds of received audio that are not silence, over every WAV of decoded audio."""
        return sum(self.received_audio_seconds_each())

    def received_audio_seconds_each(self) -> list[float]:
        """Seconds of received audio that are not silence in each call's WAV of decoded
        audio (baresip writes one a call), oldest first."""
        seconds = []
        for path in sorted((self.folder / "snd").glob("*-dec.wav")):
            try:
                with wave.open(str(path)) as recording:
                    rate, channels = recording.getframerate(), recording.getnchannels()
                    frames = recording.readframes(recording.getnframes())
            except (EOFError, wave.Error):
                continue  # still being written
            samples = array("h", frames[: len(frames) // 2 * 2])
            chunk = max(1, rate * channels // 50)  # 20 ms
            seconds.append(
                sum(
                    1
                    for start in range(0, len(samples), chunk)
                    if max((abs(s) for s in samples[start : start + chunk]), default=0) > 1000
                )
                / 50
            )
        return seconds


_EADDRINUSE = 98


def _baresip_start(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """baresip on fresh ports with the account in `folder`, once its control socket listens
    (or it has exited: see its returncode)."""
    rtp = free_ports(20)
    ctrl_port = free_port()
    (folder / "config").write_text(
        _BARESIP_CONFIG.format(
            # baresip opens TLS on the SIP port + 1.
            port=free_ports(2),
            rtp_low=rtp,
            rtp_high=rtp + 19,
            snd_path=folder / "snd",
            ctrl_port=ctrl_port,
        )
    )
    with (folder / "baresip.out").open("wb") as out:
        process = subprocess.Popen(
            ["baresip", "-f", str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
            start_new_session=True,
        )
    wait_for(
        lambda: process.poll() is not None or _tcp_listening(ctrl_port),
        what="baresip's control socket",
        details=lambda: (folder / "baresip.out").read_text(errors="replace"),
    )
    return process, ctrl_port


def _tcp_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
        return tcp.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def baresip_phone(
    *,
    username: str,
    domain: str,
    password: str,
    proxy: str,
    answer: bool,
) -> Iterator[Phone]:
    """baresip registered as `username` through `proxy`; answers calls if `answer`; dials
    with `Phone.dial`. Stopped when the block ends."""
    with tempfile.TemporaryDirectory(prefix="plugline-baresip-") as directory:
        folder = Path(directory)
        (folder / "snd").mkdir()
        (folder / "accounts").write_text(
            f'<sip:{username}@{domain}>;auth_pass={password};outbound="sip:{proxy}";'
            f"regint=300;answermode={'auto' if answer else 'manual'}\n"
        )
        # A port found free can be taken before baresip binds it (it exits with
        # EADDRINUSE): started again on other ports.
        for _attempt in range(3):
            process, ctrl_port = _baresip_start(folder)
            if process.returncode != _EADDRINUSE:
                break
        try:
            yield Phone(process, folder, ctrl_port)
        finally:
            _stop(process)
