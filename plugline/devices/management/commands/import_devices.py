"""`manage.py import_devices FILE`: add the factory's devices to the inventory."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from plugline.core.csv_import import import_command_run
from plugline.devices.importing import devices_import


class Command(BaseCommand):
    help = (
        "Import devices from a CSV file with the columns serial, model, device_key, "
        "label_code and (optional) status: in_stock or sold_in_store. Every row is "
        "checked; if any is rejected, nothing is imported."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8, first line: the column names)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row, import nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import_command_run(
            self, path=options["file"], dry_run=options["dry_run"], run=devices_import
        )
