"""Kamailio and sipp for the tests: the repository's kamailio.cfg on free ports, reading the
test database through the read-only role, and REGISTERs with digest authentication.

Kamailio reads the database from its own connections, so the tests that use
it commit their data (`transactional_db`) and run on PostgreSQL only.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from plugline.core.ports import free_port as free_port

# Kamailio on free ports, shared with bench/sip.py.
from plugline.telephony.kamailio_run import CONFIG as CONFIG
from plugline.telephony.kamailio_run import RunningKamailio as RunningKamailio
from plugline.telephony.kamailio_run import defines as defines
from plugline.telephony.kamailio_run import kamailio_check as kamailio_check
from plugline.telephony.kamailio_run import running_kamailio as running_kamailio

# Kamailio's db_postgres reads the test database: PostgreSQL only.
needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="Kamailio reads Plugline's database on PostgreSQL",
)

# The read-only role Kamailio reads the test database as, and the tests' SIP domain.
ROLE = "kamailio"
DOMAIN = "sip.plugline.test"
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
