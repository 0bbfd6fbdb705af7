"""Kamailio and sipp for the tests: the repository's kamailio.cfg on free ports, reading the
test database through the read-only role, and REGISTERs with digest authentication.

Kamailio reads the database from its own connections, so the tests that use
it commit their data (`transactional_db`) and run on PostgreSQL only.
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

import pytest
from django.conf import settings

# Kamailio's db_postgres reads the test database: PostgreSQL only.
needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="Kamailio reads Plugline's database on PostgreSQL",
)

# The read-only role Kamailio reads the test database as, and the tests' SIP domain.
ROLE = "kamailio"
DOMAIN = "sip.plugline.test"
CONFIG = Path(settings.BASE_DIR) / "deploy" / "kamailio" / "kamailio.cfg"
# Generous: CI runs on a loaded two-core machine.
START_TIMEOUT = 60.0
SIPP_TIMEOUT = 60


def role_password() -> str:
    return os.environ.get("KAMAILIO_DB_PASSWORD", "kamailio")


def role_dsn() -> str:
    """The test database, as Kamailio's read-only role connects to it."""
    from django.db import connection

    db = connection.settings_dict
    return (
        f"postgres://{ROLE}:{role_password()}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def free_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port for both UDP and TCP")


def defines(
    *,
    port: int,
    domain: str,
    db_url: str,
    ctl_socket: Path,
    rpc_port: int,
    carrier_uri: str = "",
    emergency_uri: str = "",
) -> list[str]:
    """kamailio -A arguments that point the configuration at this test's ports and database."""
    values = {
        "RPC_LISTEN": f"tcp:127.0.0.1:{rpc_port}",
        "RPC_PORT": str(rpc_port),
        "LISTEN_UDP": f"udp:127.0.0.1:{port}",
        "LISTEN_TCP": f"tcp:127.0.0.1:{port}",
        "SIP_DOMAIN": f'"{domain}"',
        "DBURL": f'"{db_url}"',
        "SQLOPS_CON": f'"plugline=>{db_url}"',
        "CTL_SOCKET": f'"unix:{ctl_socket}"',
        "CHILDREN": "2",
        "SIP_CARRIER_URI": f'"{carrier_uri}"',
        "SIP_EMERGENCY_URI": f'"{emergency_uri}"',
    }
    return [arg for name, value in values.items() for arg in ("-A", f"{name}={value}")]


def kamailio_check(*arguments: str) -> subprocess.CompletedProcess[str]:
    """`kamailio -c` on the repository's configuration: whether it is valid (no database used)."""
    return subprocess.run(
        ["kamailio", "-c", "-f", str(CONFIG), *arguments],
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
        return subprocess.run(
            ["kamcmd", "-s", f"unix:{self.ctl_socket}", *command],
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
    *, db_url: str, domain: str, carrier_uri: str = "", emergency_uri: str = ""
) -> Iterator[RunningKamailio]:
    """Kamailio with the repository's configuration on a free port, until the block ends
    (calls out go to `carrier_uri` and 911 to `emergency_uri`; empty: refused with 503)."""
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
            *defines(
                port=port,
                domain=domain,
                db_url=db_url,
                ctl_socket=ctl_socket,
                rpc_port=rpc_port,
                carrier_uri=carrier_uri,
                emergency_uri=emergency_uri,
            ),
            "-P",
            str(run_dir / "kamailio.pid"),
            "-Y",
            str(run_dir),
            *user,
            "-m",
            "64",
            "-M",
            "8",
            "-DD",
            "-E",
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        kamailio = RunningKamailio(process, port, domain, ctl_socket, log_path, rpc_port)
        try:
            _wait_until_ready(kamailio)
            yield kamailio
        finally:
            _stop(process)


def _wait_until_ready(kamailio: RunningKamailio) -> None:
    """Until Kamailio answers on its RPC socket (its SIP workers are up by then)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if kamailio.process.poll() is not None:
            raise RuntimeError(f"Kamailio stopped while starting:\n{kamailio.log()}")
        if kamailio.ctl_socket.exists() and kamailio.rpc("core.uptime").returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"Kamailio did not start in {START_TIMEOUT} s:\n{kamailio.log()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


# REGISTER with digest authentication: 401 with a challenge, then the
# answer to it, expected to be answered with {final}. The injection file's
# fields: 0 user, 1 domain, 2 the [authentication ...] keyword (sipp does
# not expand fields inside it).
REGISTER_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="register-digest">
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[field1] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field0]@[field1]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port];transport=[transport]>
      Expires: 300
      Content-Length: 0

    ]]>
  </send>
  <recv response="401" auth="true"/>
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[field1] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field0]@[field1]>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port];transport=[transport]>
      [field2]
      Expires: 300
      Content-Length: 0

    ]]>
  </send>
  <recv response="{final}"/>
</scenario>
"""


@dataclass
class SippOutcome:
    returncode: int
    output: str

    @property
    def as_expected(self) -> bool:
        """sipp ran the scenario to its end: the final answer was the one expected."""
        return self.returncode == 0


def sipp_register(
    kamailio: RunningKamailio,
    *,
    username: str,
    domain: str,
    password: str,
    final: int,
    port: int | None = None,
) -> SippOutcome:
    """One REGISTER by sipp, answered first by a challenge, then (expected) by `final`; the
    contact registered is sipp's address, on `port` if given (for a UAS to listen on after)."""
    if not (username.isalnum() and password.isalnum()):
        raise ValueError("sipp's injection file takes plain letters and digits here")
    with tempfile.TemporaryDirectory(prefix="plugline-sipp-") as directory:
        folder = Path(directory)
        scenario = folder / "register.xml"
        scenario.write_text(REGISTER_SCENARIO.replace("{final}", str(final)))
        credentials = folder / "credentials.csv"
        credentials.write_text(
            "SEQUENTIAL\n"
            f"{username};{domain};[authentication username={username} password={password}]\n"
        )
        result = subprocess.run(
            [
                "sipp",
                "-sf",
                str(scenario),
                "-inf",
                str(credentials),
                "-i",
                "127.0.0.1",
                "-p",
                str(port or free_port()),
                "-m",
                "1",
                "-nd",
                "-nostdin",
                "-recv_timeout",
                "20000",
                "-timeout",
                f"{SIPP_TIMEOUT}s",
                "-timeout_error",
                "-trace_err",
                "-error_file",
                str(folder / "errors.log"),
                kamailio.address,
            ],
            capture_output=True,
            text=True,
            timeout=SIPP_TIMEOUT + 30,
            check=False,
            cwd=folder,
        )
        errors = folder / "errors.log"
        output = (
            result.stdout[-3000:]
            + result.stderr
            + (errors.read_text(errors="replace") if errors.exists() else "")
        )
        return SippOutcome(result.returncode, output)
