"""Kamailio with the repository's configuration on free loopback ports, for as long as a block
lasts: what the PostgreSQL SIP tests and bench/sip.py start (deploy/kamailio/kamailio.cfg,
reading a database through Kamailio's read-only role).

Not for production: there Kamailio runs as the README's section "The phone line (SIP)" says.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from plugline.core.ports import free_port, free_ports

CONFIG = Path(settings.BASE_DIR) / "deploy" / "kamailio" / "kamailio.cfg"
# Generous: CI runs on a loaded two-core machine.
START_TIMEOUT = 60.0


def defines(
    *,
    port: int,
    domain: str,
    db_url: str,
    ctl_socket: Path,
    rpc_port: int,
    carrier_uri: str = "",
    emergency_uri: str = "",
    voicemail_addr: str = "",
    children: int = 2,
    softphone: Softphone | None = None,
) -> list[str]:
    """kamailio -A arguments that point the configuration at these ports and this database
    (`voicemail_addr`, host:port, empty: no voicemail; `softphone`: the browser softphone's
    WebSocket, secret and rtpengine, -A WITH_WEBSOCKET; None: off)."""
    values = {
        "RPC_LISTEN": f"tcp:127.0.0.1:{rpc_port}",
        "RPC_PORT": str(rpc_port),
        "LISTEN_UDP": f"udp:127.0.0.1:{port}",
        "LISTEN_TCP": f"tcp:127.0.0.1:{port}",
        "SIP_DOMAIN": f'"{domain}"',
        "DBURL": f'"{db_url}"',
        "SQLOPS_CON": f'"plugline=>{db_url}"',
        "CTL_SOCKET": f'"unix:{ctl_socket}"',
        "CHILDREN": str(children),
        "SIP_CARRIER_URI": f'"{carrier_uri}"',
        "SIP_EMERGENCY_URI": f'"{emergency_uri}"',
        "VOICEMAIL_ADDR": f'"{voicemail_addr}"',
    }
    switches: list[str] = []
    if softphone is not None:
        switches = ["-A", "WITH_WEBSOCKET"]
        values |= {
            "LISTEN_WS": f"tcp:{softphone.ws_host}:{softphone.ws_port}",
            "WS_PORT": str(softphone.ws_port),
            "WS_ORIGIN": f'"{softphone.origin}"',
            "SIP_EPHEMERAL_SECRET": f'"{softphone.secret}"',
            "RTPENGINE_SOCK": f'"{softphone.rtpengine_sock}"',
        }
    return switches + [arg for name, value in values.items() for arg in ("-A", f"{name}={value}")]


@dataclass(frozen=True)
class Softphone:
    """Kamailio's side of the browser softphone: SIP over WebSocket on ws_host:ws_port
    (handshakes from `origin` only; empty: any), credentials checked with `secret`, media
    through the rtpengine at `rtpengine_sock` (udp:host:port)."""

    ws_port: int
    secret: str
    rtpengine_sock: str
    ws_host: str = "127.0.0.1"
    origin: str = ""


def kamailio_check(*arguments: str) -> subprocess.CompletedProcess[str]:
    """`kamailio -c` on the repository's configuration: whether it is valid (no database used)."""
    return subprocess.run(  # noqa: S603
        ["kamailio", "-c", "-f", str(CONFIG), *arguments],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class RunningKamailio:
    process: subprocess.Popen[bytes]
    port: int
    domain: str
    ctl_socket: Path
    log_path: Path
    rpc_port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def rpc_url(self) -> str:
        """Kamailio's JSON-RPC over HTTP, as KAMAILIO_RPC_URL names it."""
        return f"http://127.0.0.1:{self.rpc_port}/RPC"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rpc(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            ["kamcmd", "-s", f"unix:{self.ctl_socket}", *command],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )


def _run_as_kamailio() -> list[str]:
    """As root, Kamailio drops to the package's user, as in production."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("kamailio")
    except KeyError:
        return []
    return ["-u", "kamailio", "-g", "kamailio"]


@contextmanager
def running_kamailio(
    *,
    db_url: str,
    domain: str,
    carrier_uri: str = "",
    emergency_uri: str = "",
    voicemail_addr: str = "",
    children: int = 2,
    without_auth: bool = False,
    shared_memory_mb: int = 64,
    softphone: Softphone | None = None,
) -> Iterator[RunningKamailio]:
    """Kamailio with the repository's configuration on a free port, until the block ends
    (calls out go to `carrier_uri` and 911 to `emergency_uri`; empty: refused with 503; the
    calls a line does not take to the voicemail server at `voicemail_addr`, host:port; empty:
    no voicemail, they end with the device's answer or 480), with
    `children` UDP workers and `shared_memory_mb` of shared memory (transactions live there
    for seconds after they end: thousands a second need production's 256).
    `without_auth` (-A WITH_NOAUTH) registers without digest authentication: bench/sip.py's
    reference, never a server of a real line. `softphone`: the browser softphone's WebSocket
    listener too (README "Calling from the browser")."""
    with tempfile.TemporaryDirectory(prefix="plugline-kamailio-") as directory:
        run_dir = Path(directory)
        user = _run_as_kamailio()
        if user:
            shutil.chown(run_dir, user="kamailio", group="kamailio")
        port = free_port()
        rpc_port = free_port()
        ctl_socket = run_dir / "kamailio_ctl"
        log_path = run_dir / "kamailio.log"
        command = [
            "kamailio",
            "-f",
            str(CONFIG),
            *(["-A", "WITH_NOAUTH"] if without_auth else []),
            *defines(
                port=port,
                domain=domain,
                db_url=db_url,
                ctl_socket=ctl_socket,
                rpc_port=rpc_port,
                carrier_uri=carrier_uri,
                emergency_uri=emergency_uri,
                voicemail_addr=voicemail_addr,
                children=children,
                softphone=softphone,
            ),
            "-P",
            str(run_dir / "kamailio.pid"),
            "-Y",
            str(run_dir),
            *user,
            "-m",
            str(shared_memory_mb),
            "-M",
            "8",
            "-DD",
            "-E",
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        kamailio = RunningKamailio(process, port, domain, ctl_socket, log_path, rpc_port)
        try:
            wait_until_ready(kamailio)
            yield kamailio
        finally:
            stop(process)


def wait_until_ready(kamailio: RunningKamailio) -> None:
    """Until Kamailio answers on its RPC socket (its SIP workers are up by then)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if kamailio.process.poll() is not None:
            raise RuntimeError(f"Kamailio stopped while starting:\n{kamailio.log()}")
        if kamailio.ctl_socket.exists() and kamailio.rpc("core.uptime").returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"Kamailio did not start in {START_TIMEOUT} s:\n{kamailio.log()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group (Kamailio and its workers), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@dataclass
class RunningRtpengine:
    process: subprocess.Popen[bytes]
    control: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_rtpengine(*, interface: str = "127.0.0.1") -> Iterator[RunningRtpengine]:
    """rtpengine in userspace (no kernel module), media on `interface`, its ng control socket
    on a free loopback UDP port (`control`, as Kamailio's RTPENGINE_SOCK names it), until the
    block ends."""
    with tempfile.TemporaryDirectory(prefix="plugline-rtpengine-") as directory:
        run_dir = Path(directory)
        control_port = free_port()
        media_port = free_ports(100, even=True)
        log_path = run_dir / "rtpengine.log"
        # The production configuration (deploy/rtpengine/rtpengine.conf), as `make sip` runs it.
        from plugline.telephony.management.commands.run_rtpengine import rtpengine_command

        command = [
            *rtpengine_command(
                interface=interface,
                ng_port=control_port,
                ports=(media_port, media_port + 99),
                run_dir=run_dir,
            ),
            "--num-threads=1",
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        running = RunningRtpengine(process, f"udp:127.0.0.1:{control_port}", log_path)
        try:
            _rtpengine_wait(running, control_port)
            yield running
        finally:
            stop(process)


def _rtpengine_wait(rtpengine: RunningRtpengine, port: int) -> None:
    """Until rtpengine answers a ping on its control socket (bencode, the ng protocol)."""
    deadline = time.monotonic() + START_TIMEOUT
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ng:
        ng.settimeout(0.5)
        while time.monotonic() < deadline:
            if rtpengine.process.poll() is not None:
                raise RuntimeError(f"rtpengine stopped while starting:\n{rtpengine.log()}")
            ng.sendto(b"plugline d7:command4:pinge", ("127.0.0.1", port))
            try:
                answer = ng.recv(1024)
            except TimeoutError:
                continue
            if b"pong" in answer:
                return
    raise RuntimeError(f"rtpengine did not start in {START_TIMEOUT} s:\n{rtpengine.log()}")
