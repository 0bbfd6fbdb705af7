"""Start periodic jobs (outbox sweep, renewals, ...) at their intervals.

Run one per machine (a systemd unit in production; `make run` starts one).
Several may run at once: each job runs once per slot whichever wins the claim.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from plugline.core.scheduling import periodic_jobs, scheduler_tick


class Command(BaseCommand):
    help = "Run periodic jobs; any number of schedulers may run at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one tick, then exit.")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between ticks (default 1)."
        )

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        scheduler_id = f"{socket.gethostname()}:{os.getpid()}"
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if not once:
            names = ", ".join(f"{job.name} every {job.every}" for job in periodic_jobs())
            self.stdout.write(f"Scheduler {scheduler_id} running: {names}")
        while True:
            close_old_connections()
            ran = scheduler_tick(now=timezone.now(), scheduler_id=scheduler_id)
            if ran and options["verbosity"] > 1:
                self.stdout.write(f"ran {', '.join(ran)}")
            if once or stopping:
                return
            time.sleep(interval)
            if stopping:
                return
