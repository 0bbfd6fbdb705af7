"""One of two runs of the rating at once, in a process of its own.

Run by test_rating_race_postgres: `python -m plugline.minutes.tests.rating_worker NAME
SYNC_DIR`, with DATABASE_URL naming the test database. It says it is ready (a file in
SYNC_DIR), waits for the test's go (another file), runs the backlog's rating and the call
record import (which rates the calls it ends), and prints how many calls the backlog charged.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(name: str, sync_dir: str) -> None:
    import django

    django.setup()
    from django.db import connection

    from plugline.minutes.rating import calls_rate_backlog
    from plugline.telephony.callrecords import call_records_import

    connection.ensure_connection()
    sync = Path(sync_dir)
    (sync / f"ready-{name}").touch()
    go = sync / "go"
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go from the test")
        time.sleep(0.0005)
    # Both runs start on the same window of calls at once, then import (rating what it ends).
    charged = calls_rate_backlog()
    call_records_import()
    print(charged, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
