"""One low-balance run, in a process of its own, for the PostgreSQL race test.

`python -m plugline.minutes.tests.low_balance_worker NAME SYNC_DIR`, with DATABASE_URL naming
the test database: says it is ready (a file in SYNC_DIR), waits for the test's go (another
file), runs `low_balance_run` and prints its outcomes as one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(name: str, sync_dir: str) -> None:
    import django

    django.setup()
    from plugline.minutes.low_balance import low_balance_run

    sync = Path(sync_dir)
    (sync / f"ready-{name}").touch()
    go = sync / "go"
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go from the test")
        time.sleep(0.0005)
    print(json.dumps(low_balance_run()), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
