"""`manage.py run_kamailio`: the SIP server of the embedded default, beside `make run`'s.

`make sip` runs it with the web server, the worker and the scheduler. It
installs Debian's packages when they are missing (as root; otherwise it says
what to install), gives every device with a number its SIP account and
writes the view sip_subscriber, then runs Kamailio in the foreground with
deploy/kamailio/kamailio.cfg reading the view sip_subscriber in Plugline's
SQLite file (db_sqlite), until it is stopped (Ctrl-C or SIGTERM). When the
portal offers calling from the browser (SIP_WS_URL and SIP_EPHEMERAL_SECRET, as
`make sip` sets them where rtpengine is installed), Kamailio also listens for
the softphone's WebSocket on SIP_WS_URL's port (-A WITH_WEBSOCKET), checks its
short-lived credentials with the same secret and sends its media through
`manage.py run_rtpengine` (RTPENGINE_NG_PORT).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from plugline.telephony.kamailio_run import Softphone
from plugline.telephony.services import sip_accounts_provision_all
from plugline.telephony.softphone import softphone_enabled

CONFIG = Path(settings.BASE_DIR) / "deploy" / "kamailio" / "kamailio.cfg"
MODULES = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
# What the SIP side needs on Debian, and the file that shows each package is there.
PACKAGES = {
    "kamailio": lambda: shutil.which("kamailio") is not None,
    "kamailio-sqlite-modules": lambda: any(
        (path / "db_sqlite.so").exists() for path in _module_paths()
    ),
    "baresip-core": lambda: shutil.which("baresip") is not None,
    # Calling from the browser: SIP over WebSocket, and its short-lived credentials.
    "kamailio-websocket-modules": lambda: any(
        (path / "websocket.so").exists() for path in _module_paths()
    ),
    "kamailio-autheph-modules": lambda: any(
        (path / "auth_ephemeral.so").exists() for path in _module_paths()
    ),
}


def _module_paths() -> list[Path]:
    return [*Path("/usr/lib").glob("*/kamailio/modules"), Path("/usr/lib/kamailio/modules")]


def packages_missing() -> list[str]:
    return [name for name, present in PACKAGES.items() if not present()]


def packages_install(missing: list[str], *, say: Any) -> None:
    """apt-get install the missing packages, as root only; otherwise say what to run."""
    if not missing:
        return
    command = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise CommandError(
            "The SIP server needs Debian's packages " + ", ".join(missing) + ". Install them "
            "as root (sudo " + " ".join(command) + ") and run this again."
        )
    say("Installing " + ", ".join(missing) + " (apt-get)")
    if subprocess.run(command, check=False).returncode != 0:  # noqa: S603
        subprocess.run(["apt-get", "update"], check=True)  # noqa: S607
        subprocess.run(command, check=True)  # noqa: S603


def sqlite_path() -> Path:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        raise CommandError(
            "run_kamailio runs the embedded default's SIP server, on the SQLite file. "
            "On PostgreSQL, run Kamailio as the README's production section says."
        )
    return Path(database["NAME"]).resolve()


def softphone_of_settings() -> Softphone | None:
    """Kamailio's side of the portal's softphone, from the portal's own settings: the
    WebSocket on SIP_WS_URL's port (on 127.0.0.1), handshakes from SITE_URL's origin only,
    rtpengine's control socket on RTPENGINE_NG_PORT. None when the portal offers no calling
    from the browser."""
    if not softphone_enabled():
        return None
    url = urlsplit(settings.SIP_WS_URL)
    if url.scheme != "ws" or url.port is None:
        raise CommandError(
            f"SIP_WS_URL {settings.SIP_WS_URL!r}: run_kamailio serves ws://127.0.0.1:<port>/ "
            "(in production nginx terminates wss:// and Kamailio runs as the README says)."
        )
    site = urlsplit(settings.SITE_URL)
    return Softphone(
        ws_port=url.port,
        secret=settings.SIP_EPHEMERAL_SECRET,
        rtpengine_sock=f"udp:127.0.0.1:{settings.RTPENGINE_NG_PORT}",
        origin=f"{site.scheme}://{site.netloc}",
    )


def kamailio_command(
    *,
    database: Path,
    sip_port: int,
    rpc_port: int,
    run_dir: Path,
    softphone: Softphone | None = None,
) -> list[str]:
    """Kamailio in the foreground, logging to stderr, on the SQLite file `database`; with
    `softphone`, its WebSocket listener, ephemeral credentials and rtpengine too."""
    defines = {
        "DBURL": f'"sqlite://{database}"',
        # Call settings are read with sqlops, from the same file.
        "SQLOPS_CON": f'"plugline=>sqlite://{database}"',
        "SIP_DOMAIN": f'"{settings.SIP_DOMAIN}"',
        "LISTEN_UDP": f"udp:127.0.0.1:{sip_port}",
        "LISTEN_TCP": f"tcp:127.0.0.1:{sip_port}",
        "RPC_LISTEN": f"tcp:127.0.0.1:{rpc_port}",
        "RPC_PORT": str(rpc_port),
        "CTL_SOCKET": f'"unix:{run_dir / "kamailio_ctl"}"',
        "CHILDREN": "2",
        "SIP_CARRIER_URI": f'"{settings.SIP_CARRIER_URI}"',
        "SIP_EMERGENCY_URI": f'"{settings.SIP_EMERGENCY_URI}"',
        "VOICEMAIL_ADDR": f'"{settings.VOICEMAIL_ADDR}"',
    }
    switches = ["-A", "WITH_SQLITE"]
    if softphone is not None:
        switches += ["-A", "WITH_WEBSOCKET"]
        defines |= {
            "LISTEN_WS": f"tcp:{softphone.ws_host}:{softphone.ws_port}",
            "WS_PORT": str(softphone.ws_port),
            "WS_ORIGIN": f'"{softphone.origin}"',
            "SIP_EPHEMERAL_SECRET": f'"{softphone.secret}"',
            "RTPENGINE_SOCK": f'"{softphone.rtpengine_sock}"',
        }
    return [
        "kamailio",
        "-f",
        str(CONFIG),
        *switches,
        *(item for name, value in defines.items() for item in ("-A", f"{name}={value}")),
        *("-P", str(run_dir / "kamailio.pid"), "-Y", str(run_dir)),
        *("-m", "64", "-M", "8", "-DD", "-E"),
    ]


class Command(BaseCommand):
    help = (
        "Run Kamailio (deploy/kamailio/kamailio.cfg) on the SQLite database of the embedded "
        "default, installing Debian's packages if missing; SIP on 127.0.0.1:5060, JSON-RPC on "
        "127.0.0.1:5064 (KAMAILIO_RPC_URL=http://127.0.0.1:5064/RPC)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--install-only",
            action="store_true",
            help="install the missing packages and exit",
        )
        parser.add_argument("--sip-port", type=int, default=5060)
        parser.add_argument("--rpc-port", type=int, default=5064)

    def handle(self, *args: Any, **options: Any) -> None:
        packages_install(packages_missing(), say=self.stdout.write)
        if options["install_only"]:
            return
        database = sqlite_path()
        kept, removed = sip_accounts_provision_all()
        connection.close()
        self.stdout.write(f"{kept} SIP accounts provisioned, {removed} removed.")
        run_dir = Path(settings.VAR_DIR) / "kamailio"
        run_dir.mkdir(parents=True, exist_ok=True)
        sip, rpc = options["sip_port"], options["rpc_port"]
        softphone = softphone_of_settings()
        command = kamailio_command(
            database=database, sip_port=sip, rpc_port=rpc, run_dir=run_dir, softphone=softphone
        )
        self.stdout.write(
            f"Kamailio: SIP on 127.0.0.1:{sip} for {settings.SIP_DOMAIN}, "
            f"JSON-RPC on http://127.0.0.1:{rpc}/RPC, reading {database}",
        )
        if softphone is None:
            self.stdout.write("Calls from the browser are off (no SIP_WS_URL).")
        else:
            self.stdout.write(
                f"Calls from the browser: WebSocket on ws://127.0.0.1:{softphone.ws_port}/, "
                f"media through rtpengine at {softphone.rtpengine_sock}",
            )
        process = subprocess.Popen(command, start_new_session=True)  # noqa: S603

        def stop(signum: int, frame: object) -> None:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        returncode = process.wait()
        if returncode not in (0, -signal.SIGTERM):
            raise CommandError(f"Kamailio stopped ({returncode})")
