"""`manage.py import_orders FILE`: record the web shop's orders and the devices they shipped."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from plugline.core.csv_import import import_command_run
from plugline.devices.importing import orders_import


class Command(BaseCommand):
    help = (
        "Import web orders from a CSV file with the columns order_number, email, serial "
        "and (optional) ordered_at, one row per device shipped. Every row is checked; "
        "if any is rejected, nothing is imported."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8, first line: the column names)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row, import nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import_command_run(
            self, path=options["file"], dry_run=options["dry_run"], run=orders_import
        )
