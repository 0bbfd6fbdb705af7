"""Benchmark of SIP registrations and call setups on Kamailio with Plugline's provisioning
(a script, not a test).

    DATABASE_URL=postgres://user:pass@host:5432/db .venv/bin/python bench/sip.py [--n 500]

PostgreSQL only (Kamailio reads Plugline's views through db_postgres; it refuses
SQLite); needs Debian's `kamailio`, `kamailio-postgres-modules` and `sip-tester`
(sipp), and Kamailio's read-only role (`kamailio`, password KAMAILIO_DB_PASSWORD,
default kamailio; created if missing when the user of DATABASE_URL may).

Creates a throwaway database beside DATABASE_URL's (dropped at the end unless
--keep) and migrates it; with --in-place it uses DATABASE_URL's database itself
(a test database: the smoke test does) and removes what it provisioned at the
end. There it gives N subscribers an active line (a device with a number and a
paid subscription) and their SIP accounts through Plugline's own provisioning
(`sip_account_provision`: HA1 hashes only, read by Kamailio through the view
`sip_subscriber`), and starts two Kamailios from deploy/kamailio/kamailio.cfg on
free loopback ports (plugline.telephony.kamailio_run), the same but for one define:

- Plugline's: every REGISTER is challenged (401) and answered with digest
  credentials checked against the view (two transactions and a query);
- the reference, `-A WITH_NOAUTH`: REGISTERs are saved without authentication.

sipp registers the N subscribers in turn (`-inf` CSV, SEQUENTIAL, each line with
its `[authentication username=... password=...]`) against each Kamailio,
alternating, --rounds times, --registers each time (`-m`), with at most --limit
registrations open at once (`-l`) at an offered rate (`-r`) above what either can
do, so that each runs at its capacity without the retransmission storm of an
overloaded UDP server; the rate of a round is sipp's successful calls over the
time from its start to its last statistics row (`-trace_stat`). Prints the
registrations per second of each round, the best round of each and their ratio,
and the CPU time one REGISTER costs Kamailio, the PostgreSQL backends serving it
(when PostgreSQL runs on this machine) and sipp.

Then call setups: half the subscribers (callees) register with the address of
a sipp UAS that answers every call, the other half (callers) register with the
address of the sipp that calls, which places --calls calls from caller i to
callee i (by number) through Plugline's Kamailio: INVITE, 407, INVITE with
digest credentials, 200, ACK, BYE, 200 (the caller's scenario is the SIP tests',
plugline/telephony/tests/calls.py; the callee answers at once), at most
--call-limit at once. Prints calls per second.

Exits 1 if the ratio is below --goal (0.5) or if any registration or call
failed, 2 if it cannot run here.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from throwaway import database_drop

ROOT = Path(__file__).resolve().parents[1]
ROLE = "kamailio"
DOMAIN = "sip.plugline.test"
# Shared memory of each Kamailio, as README's production command gives it: at thousands of
# REGISTERs a second, the transactions kept a few seconds after they end need it.
SHM_MB = 256

# A REGISTER that Kamailio saves at once (the reference without authentication).
# Injection fields: 0 user, 1 domain.
REGISTER_NOAUTH_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="register-noauth">
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
  <recv response="200"/>
</scenario>
"""


# The callees' phone: answers every call at once (200 with SDP, no 180 Ringing: Kamailio's
# UDP workers each forward the reply they receive, so under load a 180 sent just before the
# 200 can reach the caller after it, which sipp's caller would take for an unexpected
# message), with the Record-Route set, then answers the caller's BYE.
UAS_ANSWERING_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="uas-answering">
  <recv request="INVITE" crlf="true"/>
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


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--n", type=int, default=500, help="subscribers provisioned")
    parser.add_argument(
        "--registers", type=int, default=5000, help="REGISTERs per round and Kamailio (-m)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds, alternating the two")
    parser.add_argument("--rate", type=int, default=20000, help="offered rate per second (-r)")
    parser.add_argument("--limit", type=int, default=50, help="open at once at most (-l)")
    parser.add_argument("--calls", type=int, default=2000, help="calls placed (-m)")
    parser.add_argument("--call-limit", type=int, default=50, help="calls open at once (-l)")
    parser.add_argument("--children", type=int, default=4, help="Kamailio's UDP workers")
    parser.add_argument("--goal", type=float, default=0.5, help="ratio required to succeed")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="provision in DATABASE_URL's database itself (migrated, e.g. a test database) and "
        "remove what was provisioned at the end, instead of a throwaway database",
    )
    args = parser.parse_args(argv)
    if args.n < 2 or args.n % 2:
        parser.error("--n must be an even number, at least 2 (callers and callees)")
    return args


def refusal() -> str | None:
    """Why the bench cannot run here, if it cannot."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return (
            "bench/sip.py needs DATABASE_URL naming a PostgreSQL database: Kamailio reads "
            "Plugline's views there (not on SQLite)"
        )
    missing = [tool for tool in ("kamailio", "kamcmd", "sipp") if shutil.which(tool) is None]
    if missing:
        return (
            "bench/sip.py needs " + ", ".join(missing) + " (Debian: apt-get install kamailio "
            "kamailio-postgres-modules sip-tester)"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    refused = refusal()
    if refused:
        print(refused, file=sys.stderr)
        return 2
    url = os.environ["DATABASE_URL"]
    name = f"plugline_bench_{uuid.uuid4().hex[:8]}"
    admin = None
    if not args.in_place:
        import psycopg

        admin = psycopg.connect(url, autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        url = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    var_dir = tempfile.TemporaryDirectory(prefix=f"{name}_")
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DEBUG": "0",
            "EMAIL_HOST": os.environ.get("EMAIL_HOST") or "localhost",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
            "DJANGO_SETTINGS_MODULE": "plugline.settings",
            "VAR_DIR": os.environ.get("VAR_DIR") or var_dir.name,
            "SIP_DOMAIN": DOMAIN,
        }
    )
    if admin is None:
        print(
            f"database: {urlsplit(url).path.lstrip('/')}, DATABASE_URL's own (what the bench "
            "provisions there is removed at the end)"
        )
    else:
        print(
            f"database: {name}, throwaway, beside DATABASE_URL's "
            f"({'kept' if args.keep else 'dropped at the end'})"
        )
    try:
        return run(args)
    finally:
        from django.db import connections

        try:
            connections.close_all()
        except Exception as error:  # Django never set up: nothing to close.
            print(f"closing: {error}", file=sys.stderr)
        if admin is not None:
            if not args.keep:
                database_drop(admin, name)
            admin.close()
        var_dir.cleanup()


def run(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    subscribers = provision(args.n)
    try:
        return measure(args, subscribers)
    finally:
        if args.in_place:
            unprovision()


def measure(args: argparse.Namespace, subscribers: list[Subscriber]) -> int:
    from django.db import connection

    from plugline.telephony.kamailio_run import running_kamailio
    from plugline.telephony.roles import sip_database_role_grant

    sip_database_role_grant(
        connection, role=ROLE, password=os.environ.get("KAMAILIO_DB_PASSWORD", "kamailio")
    )
    db = connection.settings_dict
    role_url = (
        f"postgres://{ROLE}:{os.environ.get('KAMAILIO_DB_PASSWORD', 'kamailio')}@"
        f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    connection.close()
    print(
        f"{args.n} subscribers; Kamailio: {args.children} UDP workers, {SHM_MB} MB shared"
        f" memory; sipp: -m {args.registers} "
        f"-r {args.rate} -l {args.limit}, {args.rounds} rounds",
        flush=True,
    )
    failures = 0
    with (
        running_kamailio(
            db_url=role_url, domain=DOMAIN, children=args.children, shared_memory_mb=SHM_MB
        ) as plugline,
        running_kamailio(
            db_url=role_url,
            domain=DOMAIN,
            children=args.children,
            without_auth=True,
            shared_memory_mb=SHM_MB,
        ) as reference,
        tempfile.TemporaryDirectory(prefix="plugline-bench-sip-") as directory,
    ):
        folder = Path(directory)
        credentials = folder / "subscribers.csv"
        credentials_write(credentials, subscribers)
        meter = CpuMeter(
            groups=[plugline.process.pid, reference.process.pid], backends=role_backends()
        )
        kinds = {"digest": plugline, "no auth": reference}
        best = dict.fromkeys(kinds, 0.0)
        registered = dict.fromkeys(kinds, 0)
        cpu: dict[str, dict[str, float | None]] = {kind: {} for kind in kinds}
        print(f"{'round':>5} {'digest REGISTER/s':>18} {'no auth REGISTER/s':>19}", flush=True)
        for index in range(args.rounds):
            rates = []
            for kind, kamailio in kinds.items():
                before = meter.read()
                stats = sipp(
                    scenario=register_digest_scenario()
                    if kind == "digest"
                    else REGISTER_NOAUTH_SCENARIO,
                    injection=credentials,
                    target=kamailio.address,
                    count=args.registers,
                    rate=args.rate,
                    limit=args.limit,
                    folder=folder / f"{kind.replace(' ', '')}-{index}",
                )
                for who, seconds in cpu_used(before, meter.read()).items():
                    total = cpu[kind].get(who, 0.0)
                    cpu[kind][who] = None if seconds is None or total is None else total + seconds
                if stats.successful != args.registers:
                    failures += args.registers - stats.successful
                    print(f"{kind}: {stats.failed} failed\n{stats.output}", file=sys.stderr)
                best[kind] = max(best[kind], stats.rate)
                registered[kind] += stats.successful
                rates.append(stats.rate)
            print(f"{index + 1:>5} {rates[0]:>18.0f} {rates[1]:>19.0f}", flush=True)
        ratio = best["digest"] / best["no auth"] if best["no auth"] else 0.0
        print(
            f"REGISTER/s, best round: digest {best['digest']:.0f}, "
            f"no auth {best['no auth']:.0f}; ratio {ratio:.2f} (goal {args.goal})",
            flush=True,
        )
        for kind in kinds:
            print(
                f"CPU per REGISTER, {kind}: "
                + ", ".join(
                    f"{who} "
                    + (
                        "n/a"
                        if seconds is None
                        else f"{seconds / max(registered[kind], 1) * 1000:.3f} ms"
                    )
                    for who, seconds in cpu[kind].items()
                ),
                flush=True,
            )
        calls = call_setups(args, plugline.address, subscribers, folder / "calls")
        if calls.successful != args.calls:
            failures += args.calls - calls.successful
            print(f"calls: {calls.failed} failed\n{calls.output}", file=sys.stderr)
        print(
            f"call setups/s (INVITE with digest to 200, ACK, BYE): {calls.rate:.0f} "
            f"({calls.successful} calls, at most {args.call_limit} at once)",
            flush=True,
        )
    if failures:
        print(f"FAILED: {failures} registrations or calls failed", file=sys.stderr)
        return 1
    if ratio < args.goal:
        print(f"FAILED: ratio {ratio:.2f} below the goal {args.goal}", file=sys.stderr)
        return 1
    return 0


def role_backends() -> list[int]:
    """The PostgreSQL processes serving Kamailio's connections to this database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE usename = %s AND datname = current_database()",
            [ROLE],
        )
        pids = [int(pid) for (pid,) in cursor.fetchall()]
    connection.close()
    return pids


@dataclass
class Subscriber:
    username: str
    password: str


SERIAL_PREFIX = "BENCHSIP"
EMAIL_DOMAIN = "sip-bench.example"


def provision(n: int) -> list[Subscriber]:
    """N subscribers, each with an active device, a number and 30 days of service, whose SIP
    accounts Plugline's own provisioning makes (`sip_account_provision`: HA1 hashes only);
    their usernames and (derived) passwords."""
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from plugline.accounts.models import User
    from plugline.billing.models import Subscription
    from plugline.devices.models import Device, DeviceModel, DeviceStatus
    from plugline.telephony.services import sip_account_provision
    from plugline.telephony.sip import sip_password

    if Device.objects.filter(serial__startswith=SERIAL_PREFIX).exists():
        raise SystemExit(f"devices {SERIAL_PREFIX}... exist already: another run, or --keep")
    now = timezone.now()
    password = make_password(None)
    with transaction.atomic():
        model, _ = DeviceModel.objects.get_or_create(code="bench", defaults={"name": "Bench"})
        users = User.objects.bulk_create(
            User(
                email=f"sip-{i}@{EMAIL_DOMAIN}",
                original_email=f"sip-{i}@{EMAIL_DOMAIN}",
                password=password,
            )
            for i in range(n)
        )
        devices = Device.objects.bulk_create(
            Device(
                serial=f"{SERIAL_PREFIX}{i:07d}",
                model=model,
                status=DeviceStatus.ACTIVE,
                owner=user,
                # New York numbers, +1 212 555-0000 and on (valid NANP exchanges).
                phone_number=f"+1212{5550000 + i:07d}",
                activated_at=now,
            )
            for i, user in enumerate(users)
        )
        Subscription.objects.bulk_create(
            Subscription(device=device, ends_at=now + timedelta(days=30)) for device in devices
        )
    found = []
    for device in devices:
        account = sip_account_provision(
            device_id=device.pk, serial=device.serial, phone_number=device.phone_number
        )
        assert account is not None
        found.append(
            Subscriber(
                account.username,
                sip_password(serial=device.serial, generation=account.generation),
            )
        )
    return found


def unprovision() -> None:
    """Remove what provision() made, and the call records Kamailio wrote for its calls."""
    from django.db import transaction

    from plugline.accounts.models import User
    from plugline.billing.models import Subscription
    from plugline.devices.models import Device, DeviceModel
    from plugline.telephony.models import KamailioAcc, SipAccount

    with transaction.atomic():
        devices = Device.objects.filter(serial__startswith=SERIAL_PREFIX)
        usernames = list(
            SipAccount.objects.filter(device__in=devices).values_list("username", flat=True)
        )
        # A BYE's row names no caller: its call is found by the INVITE's Call-ID.
        calls = KamailioAcc.objects.filter(caller__in=usernames).values("callid")
        KamailioAcc.objects.filter(callid__in=calls).delete()
        Subscription.objects.filter(device__in=devices).delete()
        devices.delete()
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()
        DeviceModel.objects.filter(code="bench", devices__isnull=True).delete()


def credentials_write(path: Path, subscribers: list[Subscriber]) -> None:
    """sipp's injection file: user; domain; the [authentication ...] keyword (sipp does not
    expand fields inside it, so each line carries its own)."""
    path.write_text(
        "SEQUENTIAL\n"
        + "".join(
            f"{s.username};{DOMAIN};[authentication username={s.username} password={s.password}]\n"
            for s in subscribers
        )
    )


@dataclass
class SippStats:
    successful: int
    failed: int
    seconds: float
    retransmissions: int
    output: str

    @property
    def rate(self) -> float:
        """Successful calls (here registrations or call setups) per second."""
        return self.successful / self.seconds if self.seconds else 0.0


def _epoch(value: str) -> float:
    """Unix time of one of sipp's dates ("2026-12-05<TAB>00:17:44.922985<TAB>1796429864.922985");
    its ElapsedTime counts whole seconds only."""
    return float(value.split()[-1])


def sipp_stats(path: Path, output: str) -> SippStats:
    """The last row of sipp's statistics file (-trace_stat): cumulative counters at the end."""
    rows = list(csv.DictReader(path.read_text().splitlines(), delimiter=";"))
    if not rows:
        raise SystemExit(f"sipp wrote no statistics:\n{output}")
    last = rows[-1]
    return SippStats(
        successful=int(last["SuccessfulCall(C)"]),
        failed=int(last["FailedCall(C)"]),
        seconds=_epoch(last["CurrentTime"]) - _epoch(last["StartTime"]),
        retransmissions=int(last["Retransmissions(C)"]),
        output=output,
    )


def _proc_cpu(stat: str) -> tuple[int, float]:
    """(process group, CPU seconds in user and kernel mode) from a /proc/<pid>/stat line."""
    fields = stat.rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / ticks


class CpuMeter:
    """CPU seconds used so far by Kamailio's processes (their process groups), by the
    PostgreSQL backends serving Kamailio's role (read in /proc: only when PostgreSQL runs on
    this machine, else None) and by sipp (this script's finished children)."""

    def __init__(self, *, groups: list[int], backends: list[int]) -> None:
        self.groups, self.backends = set(groups), backends

    def read(self) -> dict[str, float | None]:
        import resource

        kamailio = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                group, seconds = _proc_cpu(stat.read_text())
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            if group in self.groups:
                kamailio += seconds
        postgres: float | None = 0.0
        for pid in self.backends:
            try:
                postgres = (postgres or 0.0) + _proc_cpu(Path(f"/proc/{pid}/stat").read_text())[1]
            except OSError:
                postgres = None  # not on this machine
                break
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "Kamailio": kamailio,
            "PostgreSQL": postgres,
            "sipp": children.ru_utime + children.ru_stime,
        }


def cpu_used(
    before: dict[str, float | None], after: dict[str, float | None]
) -> dict[str, float | None]:
    used: dict[str, float | None] = {}
    for who, seconds in after.items():
        earlier = before[who]
        used[who] = None if seconds is None or earlier is None else seconds - earlier
    return used


def sipp(
    *,
    scenario: str,
    injection: Path,
    target: str,
    count: int,
    rate: int,
    limit: int,
    folder: Path,
    port: int | None = None,
) -> SippStats:
    """sipp running `scenario` `count` times (-m) at `rate` a second (-r) with at most `limit`
    open at once (-l), its fields from `injection` (-inf), from 127.0.0.1:`port` (-p)."""
    from plugline.core.ports import free_port

    folder.mkdir(parents=True)
    (folder / "scenario.xml").write_text(scenario)
    stats = folder / "stats.csv"
    command = [
        "sipp",
        *("-sf", str(folder / "scenario.xml")),
        *("-inf", str(injection)),
        *("-i", "127.0.0.1", "-p", str(port or free_port())),
        *("-m", str(count), "-r", str(rate), "-l", str(limit)),
        "-nostdin",
        *("-recv_timeout", "10000", "-timeout", "300s", "-timeout_error"),
        *("-trace_stat", "-stf", str(stats), "-fd", "1"),
        *("-trace_err", "-error_file", str(folder / "errors.log")),
        target,
    ]
    result = subprocess.run(  # noqa: S603 (sipp, our own arguments)
        command, capture_output=True, text=True, timeout=600, check=False, cwd=folder
    )
    errors = folder / "errors.log"
    output = (
        result.stdout[-2000:]
        + result.stderr[-2000:]
        + (errors.read_text(errors="replace")[-3000:] if errors.exists() else "")
    )
    return sipp_stats(stats, output)


@contextmanager
def sipp_uas(*, scenario: str, port: int, folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    """sipp answering every call on 127.0.0.1:`port` with `scenario`, until the block ends."""
    import socket
    import time

    from plugline.telephony.kamailio_run import stop

    folder.mkdir(parents=True)
    (folder / "uas.xml").write_text(scenario)
    with (folder / "uas.out").open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (sipp, our own arguments)
            [  # noqa: S607
                "sipp",
                "-sf",
                str(folder / "uas.xml"),
                "-i",
                "127.0.0.1",
                "-p",
                str(port),
                "-nostdin",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise SystemExit("sipp's UAS stopped:\n" + (folder / "uas.out").read_text())
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    break  # sipp listens
            if time.monotonic() > deadline:
                raise SystemExit(f"sipp's UAS is not listening on {port} after 30 s")
            time.sleep(0.05)
        yield process
    finally:
        stop(process)


def call_setups(
    args: argparse.Namespace, target: str, subscribers: list[Subscriber], folder: Path
) -> SippStats:
    """Callees registered at a sipp UAS, callers registered at the sipp placing the calls;
    caller i calls callee i (by its number) through Plugline's Kamailio."""
    from plugline.core.ports import free_port
    from plugline.telephony.tests.calls import call_scenario

    half = len(subscribers) // 2
    callers, callees = subscribers[:half], subscribers[half:]
    uas_port, uac_port = free_port(), free_port()
    register = register_digest_scenario()
    for who, group, port in (("callees", callees, uas_port), ("callers", callers, uac_port)):
        injection = folder / f"{who}.csv"
        folder.mkdir(parents=True, exist_ok=True)
        credentials_write(injection, group)
        registered = sipp(
            scenario=register,
            injection=injection,
            target=target,
            count=len(group),
            rate=args.rate,
            limit=args.limit,
            folder=folder / f"register-{who}",
            port=port,
        )
        if registered.successful != len(group):
            raise SystemExit(
                f"{registered.successful} of {len(group)} {who} registered:\n{registered.output}"
            )
    calls = folder / "calls.csv"
    calls.write_text(
        "SEQUENTIAL\n"
        + "".join(
            f"{caller.username};{DOMAIN};[authentication username={caller.username} "
            f"password={caller.password}];{callee.username};{DOMAIN}\n"
            for caller, callee in zip(callers, callees, strict=True)
        )
    )
    with sipp_uas(scenario=UAS_ANSWERING_SCENARIO, port=uas_port, folder=folder / "uas"):
        return sipp(
            scenario=call_scenario(200),
            injection=calls,
            target=target,
            count=args.calls,
            rate=args.rate,
            limit=args.call_limit,
            folder=folder / "uac",
            port=uac_port,
        )


def register_digest_scenario() -> str:
    """The SIP tests' REGISTER (401 with a challenge, then digest credentials), answered 200."""
    from plugline.telephony.tests.kamailio import REGISTER_SCENARIO

    return REGISTER_SCENARIO.replace("{final}", "200")


if __name__ == "__main__":
    sys.exit(main())
