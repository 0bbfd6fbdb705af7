"""Reading the operator's CSV files for the inventory imports (devices, orders, numbers).

Every import works the same way: the whole file is checked row by row, each
problem is reported with its line number, column and reason, and nothing is
written unless every row is good. This module reads the file and keeps that
report; each app's `importing` module checks its own rows and writes them.

The reports are for the operator's terminal, in plain English (not
translated), and never repeat a secret column's value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

# Spreadsheets in France and Denmark save "CSV" with semicolons.
DELIMITERS = (",", ";", "\t")
# Values per query when looking up what a file names (SQLite's variable limit).
BATCH = 500


class InventoryChanged(Exception):
    """Rows an import checked changed before it wrote them: it is rolled back as a whole."""


@dataclass(frozen=True)
class Rejection:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}, {self.column}" if self.column else f"line {self.line}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Row:
    """One data row: its line in the file and its values by column (stripped, "" if absent)."""

    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass
class ImportReport:
    """What an import found and did: the rejected rows, or what it counted."""

    kind: str
    dry_run: bool = False
    rows: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # What the counts mean, in words, for the operator (e.g. "3 devices imported").
    summary: str = ""

    def reject(self, line: int, column: str, reason: str) -> None:
        self.rejections.append(Rejection(line, column, reason))

    @property
    def rejected_lines(self) -> set[int]:
        return {rejection.line for rejection in self.rejections}

    @property
    def written(self) -> bool:
        return not self.rejections and not self.dry_run


def csv_rows(
    data: bytes | str,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    report: ImportReport,
) -> list[Row]:
    """The data rows of a CSV file with a header line; problems go to `report`.

    Column names are matched without regard to case or surrounding spaces.
    A header that lacks a required column, or names one that no import
    knows, rejects the whole file (line 1), since every row would be read
    wrongly. Blank lines are skipped.
    """
    text = _decode(data, report)
    if text is None:
        return []
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count) if first_line.strip() else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        report.reject(1, "", "the file is empty (the first line names the columns)")
        return []
    except csv.Error as error:
        report.reject(1, "", f"the header cannot be read as CSV ({error})")
        return []
    if not _header_is_good(header, required=required, optional=optional, report=report):
        return []

    rows = []
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            report.rows += 1
            report.reject(line, "", f"cannot be read as CSV ({error}); nothing after it was read")
            break
        if not any(value.strip() for value in values):
            continue
        report.rows += 1
        if len(values) > len(header):
            report.reject(
                line,
                "",
                f"has {len(values)} values but the header names {len(header)} columns "
                "(a value with the delimiter in it must be in double quotes)",
            )
            continue
        # A short row leaves its last columns empty.
        values_by_column = dict(zip(header, (value.strip() for value in values), strict=False))
        rows.append(Row(line, values_by_column))
    return rows


def in_batches(values: Collection[str], size: int = BATCH) -> Iterator[list[str]]:
    """Distinct values, sorted, in lists of at most `size` (for `field__in` lookups)."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _decode(data: bytes | str, report: ImportReport) -> str | None:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        report.reject(line, "", "is not UTF-8 text: save the file as CSV UTF-8")
        return None


def _header_is_good(
    header: list[str], *, required: Sequence[str], optional: Sequence[str], report: ImportReport
) -> bool:
    known = [*required, *optional]
    before = len(report.rejections)
    for name in required:
        if name not in header:
            report.reject(1, name, "this column is missing from the header")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            report.reject(1, name, "this column appears twice in the header")
        elif name and name not in known:
            report.reject(1, name, f"unknown column; the columns are: {', '.join(known)}")
        seen.add(name)
    return len(report.rejections) == before


def import_command_run(
    command: BaseCommand,
    *,
    path: str,
    dry_run: bool,
    run: Callable[..., ImportReport],
) -> None:
    """What every import command does: read FILE, import it, print the report.

    Rejected rows go to stderr, one a line, and the command exits with status
    1 having written nothing.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror or error}") from error
    try:
        report = run(data=data, dry_run=dry_run)
    except (IntegrityError, InventoryChanged) as error:
        # Another import (or a customer) changed the same rows meanwhile:
        # the transaction was rolled back as a whole.
        raise CommandError(
            f"{path}: the inventory changed while importing; nothing was imported, "
            "run the command again"
        ) from error
    if report.rejections:
        for rejection in sorted(report.rejections, key=lambda r: r.line):
            command.stderr.write(f"{path}: {rejection}")
        lines = len(report.rejected_lines)
        rejected = f"{lines} of {report.rows} rows rejected" if report.rows else "file rejected"
        raise CommandError(f"{path}: {rejected}; nothing imported", returncode=1)
    if dry_run:
        command.stdout.write(
            f"{path}: all {report.rows} rows are good (--dry-run: nothing imported): "
            f"{report.summary}"
        )
    else:
        command.stdout.write(f"{path}: imported: {report.summary}")
