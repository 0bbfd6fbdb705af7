"""`manage.py import_rates FILE`: the operator's rate deck of international destinations."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from plugline.core.csv_import import import_command_run
from plugline.rates.importing import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, rates_import


class Command(BaseCommand):
    help = (
        f"Import calling rates from a CSV file with the columns {', '.join(REQUIRED_COLUMNS)} "
        f"and (optional) {', '.join(OPTIONAL_COLUMNS)}. A rate already imported (same prefix "
        "and valid_from) is corrected; importing the same file again changes nothing. Every "
        "row is checked; if any is rejected, nothing is imported."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8, first line: the column names)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row, import nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import_command_run(self, path=options["file"], dry_run=options["dry_run"], run=rates_import)
