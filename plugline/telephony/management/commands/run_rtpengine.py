"""`manage.py run_rtpengine`: the media relay of calls from the browser, beside `make sip`'s
Kamailio (README "Calling from the browser").

rtpengine runs in userspace (`table = -1`) with the configuration production uses,
deploy/rtpengine/rtpengine.conf, on 127.0.0.1: its ng control socket on RTPENGINE_NG_PORT
(Kamailio's RTPENGINE_SOCK) and media on RTPENGINE_PORTS, in the foreground until it is
stopped (Ctrl-C or SIGTERM). Without the `rtpengine` program (Debian's rtpengine-daemon) it
says that calls from the browser are off, and exits: `make sip` then runs Kamailio without
its WebSocket and the portal without its softphone.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

CONFIG = Path(settings.BASE_DIR) / "deploy" / "rtpengine" / "rtpengine.conf"
MISSING = (
    "rtpengine is not installed, so calls from the browser are off (the softphone page says "
    "so). To turn them on: sudo apt-get install rtpengine-daemon, then run make sip again."
)


def rtpengine_installed() -> bool:
    return shutil.which("rtpengine") is not None


def port_range(ports: str) -> tuple[int, int]:
    """ "first-last" as two ports; CommandError when it is not a range of even size."""
    first, _, last = ports.partition("-")
    try:
        low, high = int(first), int(last)
    except ValueError:
        raise CommandError(f'RTPENGINE_PORTS is "first-last", not "{ports}"') from None
    if not 1024 <= low < high <= 65535:
        raise CommandError(f"RTPENGINE_PORTS {ports}: ports from 1024 to 65535, first < last")
    return low, high


def rtpengine_command(
    *, interface: str, ng_port: int, ports: tuple[int, int], run_dir: Path
) -> list[str]:
    """rtpengine in the foreground, logging to stderr, with deploy/rtpengine/rtpengine.conf,
    its media on `interface`, its control socket on 127.0.0.1:`ng_port` (options on the
    command line override the file's)."""
    return [
        "rtpengine",
        f"--config-file={CONFIG}",
        "--foreground",
        "--log-stderr",
        f"--pidfile={run_dir / 'rtpengine.pid'}",
        f"--interface={interface}",
        f"--listen-ng=127.0.0.1:{ng_port}",
        f"--port-min={ports[0]}",
        f"--port-max={ports[1]}",
    ]


class Command(BaseCommand):
    help = (
        "Run rtpengine (deploy/rtpengine/rtpengine.conf, userspace) on 127.0.0.1 for calls "
        "from the browser: ng control on RTPENGINE_NG_PORT, media on RTPENGINE_PORTS. "
        "Without rtpengine installed, say that calls from the browser are off."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interface", default="127.0.0.1")

    def handle(self, *args: Any, **options: Any) -> None:
        if not rtpengine_installed():
            self.stdout.write(MISSING)
            return
        ports = port_range(settings.RTPENGINE_PORTS)
        run_dir = Path(settings.VAR_DIR) / "rtpengine"
        run_dir.mkdir(parents=True, exist_ok=True)
        ng_port = settings.RTPENGINE_NG_PORT
        command = rtpengine_command(
            interface=options["interface"], ng_port=ng_port, ports=ports, run_dir=run_dir
        )
        self.stdout.write(
            f"rtpengine: control on udp:127.0.0.1:{ng_port}, media on "
            f"{options['interface']} ports {ports[0]}-{ports[1]}",
        )
        process = subprocess.Popen(command, start_new_session=True)  # noqa: S603

        def stop(signum: int, frame: object) -> None:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        returncode = process.wait()
        if returncode not in (0, -signal.SIGTERM):
            raise CommandError(f"rtpengine stopped ({returncode})")
