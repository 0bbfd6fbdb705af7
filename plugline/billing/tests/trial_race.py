"""One of two schedulers converting ended trials at the same moment, in a process of its own.

Run by test_trial_race_postgres: `python -m plugline.billing.tests.trial_race
NAME SYNC_DIR`, with DATABASE_URL naming the test database. It says it is
ready (a file in SYNC_DIR), waits for the test's go (another file), runs the
conversion job once and prints how many trials it tried.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(name: str, sync_dir: str) -> None:
    import django

    django.setup()
    from plugline.billing.trials import trial_conversions_run

    sync = Path(sync_dir)
    (sync / f"ready-{name}").touch()
    deadline = time.monotonic() + 60
    while not (sync / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go from the test")
        time.sleep(0.0005)
    print(trial_conversions_run(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
