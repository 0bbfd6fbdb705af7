"""Running an inventory import command on a CSV file, as an operator would."""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def rejected_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_import(
    command: str, directory: Path, text: str, *args: str, encoding: str = "utf-8"
) -> Outcome:
    """`manage.py <command> FILE [args]` on `text` written to a file; what it printed."""
    path = directory / f"{command}.csv"
    path.write_text(text, encoding=encoding)
    stdout, stderr = StringIO(), StringIO()
    try:
        call_command(command, str(path), *args, stdout=stdout, stderr=stderr)
    except CommandError as error:
        return Outcome(error.returncode, stdout.getvalue(), stderr.getvalue() + f"{error}\n")
    return Outcome(0, stdout.getvalue(), stderr.getvalue())
