"""`manage.py run_renewals`: run AutoRenew's renewal run now (operators, the benchmark).

Safe beside the scheduler's own run and on several machines at once: each
subscription due is charged once.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from plugline.billing.renewals import renewal_run


class Command(BaseCommand):
    help = "Charge the AutoRenew subscriptions that are due (once each, whoever else runs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=16, help="gateway calls at once")
        parser.add_argument("--batch", type=int, default=20, help="attempts claimed at a time")
        parser.add_argument(
            "--charges-at-once",
            type=int,
            default=20,
            help="charges of a batch sent to the gateway together",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = renewal_run(
            threads=options["threads"],
            batch=options["batch"],
            charges_at_once=options["charges_at_once"],
        )
        seconds = time.monotonic() - started
        outcomes = ", ".join(f"{name} {count}" for name, count in sorted(result.outcomes.items()))
        self.stdout.write(
            f"{result.processed} renewal attempts in {seconds:.1f} s"
            + (f" ({outcomes})" if outcomes else "")
        )
