"""One renewal run in a process of its own, for the PostgreSQL AutoRenew tests.

`python -m plugline.billing.tests.renewal_worker NAME SYNC_DIR THREADS [AT_ONCE]`, with
DATABASE_URL naming the test database: says it is ready (a file in SYNC_DIR),
waits for the test's go (another file), runs the renewal run with THREADS
threads (AT_ONCE charges sent to the gateway together, 1 if not given) and
prints its outcomes as one JSON line. With
PLUGLINE_TEST_KILL_AFTER_CHARGE=1 the process kills itself (SIGKILL) right
after the gateway answers its first charge (or its first charges sent together),
before anything is recorded.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(name: str, sync_dir: str, threads: str, at_once: str = "1") -> None:
    import django

    django.setup()
    from plugline.billing.renewals import renewal_run

    sync = Path(sync_dir)
    (sync / f"ready-{name}").touch()
    go = sync / "go"
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go from the test")
        time.sleep(0.0005)
    result = renewal_run(
        threads=int(threads), batch=3, worker_id=f"test-{name}", charges_at_once=int(at_once)
    )
    print(json.dumps(dict(result.outcomes)), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
