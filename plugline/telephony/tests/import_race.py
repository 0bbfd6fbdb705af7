"""One of two call record imports running at once, in a process of its own.

Run by test_call_import_race_postgres: `python -m plugline.telephony.tests.import_race
NAME SYNC_DIR`, with DATABASE_URL naming the test database. It says it is ready (a
file in SYNC_DIR), waits for the test's go (another file), imports, and prints how
many calls it recorded.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(name: str, sync_dir: str) -> None:
    import django

    django.setup()
    from django.db import connection

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
    print(call_records_import(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
