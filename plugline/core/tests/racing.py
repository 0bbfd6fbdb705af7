"""Races between separate processes on one PostgreSQL database, for the race tests.

A race test starts its workers (`python -m <module> ARGS...`, each a process
of its own on the test database), waits until each says it is ready (a file
in a folder they share), gives the go (another file), then reads what each
printed:

    workers = [worker_start("plugline.billing.tests.apply_race", "a", sync), ...]
    with workers_stopped_after(workers):
        workers_wait([sync / "ready-a", sync / "ready-b"], workers)
        (sync / "go").touch()
        results = workers_finish(workers)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]

needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="a race between database sessions needs PostgreSQL",
)

Worker = subprocess.Popen[str]


class Finished(NamedTuple):
    """A worker once ended: (returncode, out, err)."""

    returncode: int
    out: str
    err: str

    def lines(self) -> list[str]:
        return [line for line in self.out.splitlines() if line]


def database_url() -> str:
    """The test database (not the one DATABASE_URL names), for the workers to use."""
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def worker_start(module: str, *args: object, env: Mapping[str, str] | None = None) -> Worker:
    """`python -m module args...` on the test database, its output kept for workers_finish."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *map(str, args)],
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "plugline.settings",
            **(env or {}),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def workers_wait(paths: Iterable[Path], workers: Sequence[Worker], *, timeout: float = 60) -> None:
    """Until every file in `paths` exists; fails at once if a worker stopped meanwhile."""
    waiting = list(paths)
    deadline = time.monotonic() + timeout
    while not all(path.exists() for path in waiting):
        for worker in workers:
            if worker.poll() is not None:
                pytest.fail(f"a worker stopped: {worker.communicate()}")
        assert time.monotonic() < deadline, f"never ready: {waiting}"
        time.sleep(0.005)


def workers_finish(workers: Sequence[Worker], *, timeout: float = 120) -> list[Finished]:
    """Each worker's exit code and output, once it has ended."""
    outputs = [worker.communicate(timeout=timeout) for worker in workers]
    return [
        Finished(worker.returncode, out, err)
        for worker, (out, err) in zip(workers, outputs, strict=True)
    ]


@contextmanager
def workers_stopped_after(workers: Sequence[Worker]) -> Iterator[None]:
    """Whatever happens in the block, no worker outlives it."""
    try:
        yield
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
