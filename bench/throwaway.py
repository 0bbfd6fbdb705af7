"""The throwaway PostgreSQL database of a benchmark, dropped at the end of its run."""

from __future__ import annotations

import time
from typing import Any

# How long a plain DROP waits for sessions of other roles to leave the database.
WAIT_SECONDS = 30


def database_drop(admin: Any, name: str) -> None:
    """Drop the database `name` with `admin` (a psycopg connection in autocommit mode).

    WITH (FORCE) ends the run's own sessions still open on it. It may not end
    a session of another role, such as the autovacuum worker that PostgreSQL
    starts on a database after a bulk load; a plain DROP stops that worker by
    itself, so it is tried next; both again until the other sessions have left.
    """
    import psycopg

    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.errors.InsufficientPrivilege:
            pass
        try:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except psycopg.errors.ObjectInUse:
            # Both: another role's session, and the run's own. Once the other has
            # left (autovacuum ends its pass), FORCE ends the run's own.
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
