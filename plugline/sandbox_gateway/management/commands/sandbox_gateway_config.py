"""Shows or changes how the sandbox gateway misbehaves (latency, timeouts, failures)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plugline.sandbox_gateway.services import config_get, config_set


class Command(BaseCommand):
    help = "Show or change the sandbox gateway's latency, timeout and failure rates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--latency-ms", type=int, help="added to every call")
        parser.add_argument(
            "--timeout-rate", type=float, help="share (0-1) of charges done but answered never"
        )
        parser.add_argument(
            "--failure-rate", type=float, help="share (0-1) of calls failing before the sandbox"
        )
        parser.add_argument("--webhook-url", help="where events are posted ('' for the default)")
        parser.add_argument("--webhooks", choices=["on", "off"], help="post events or not")

    def handle(self, *args: Any, **options: Any) -> None:
        changes = {
            "latency_ms": options["latency_ms"],
            "timeout_rate": options["timeout_rate"],
            "failure_rate": options["failure_rate"],
            "webhook_url": options["webhook_url"],
            "webhooks_enabled": None
            if options["webhooks"] is None
            else options["webhooks"] == "on",
        }
        if options["latency_ms"] is not None and options["latency_ms"] < 0:
            raise CommandError("--latency-ms cannot be negative")
        try:
            config = (
                config_set(**changes)
                if any(value is not None for value in changes.values())
                else config_get()
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{config}; webhooks {'on' if config.webhooks_enabled else 'off'}")
