"""One process of subscribers racing to redeem the same PIN, each thread with its own connection.

Run by test_redeem_race_postgres: `python -m plugline.reup.tests.redeem_worker
NAME SYNC_DIR USER_ID DEVICE_ID THREADS PIN`, with DATABASE_URL naming the
test database. Every thread gets ready (its own database connection open,
the account and device loaded), the process says it is ready (a file in
SYNC_DIR), and all threads redeem at the test's go (another file). Prints
one JSON line per thread: the outcome and the period it got, if any.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path


def main(name: str, sync_dir: str, user_id: str, device_id: str, threads: str, pin: str) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import RequestFactory

    from plugline.accounts.models import User
    from plugline.devices.models import Device
    from plugline.reup.redemption import card_redeem

    sync = Path(sync_dir)
    go = sync / "go"
    count = int(threads)
    ready = threading.Barrier(count + 1)
    lines: list[str] = []
    lock = threading.Lock()

    def redeem(number: int) -> None:
        try:
            user = User.objects.get(pk=user_id)
            device = Device.objects.get(pk=device_id)
            request = RequestFactory().post("/account/reup/", REMOTE_ADDR=f"192.0.2.{number + 1}")
            ready.wait(timeout=60)
            deadline = time.monotonic() + 60
            while not go.exists():
                if time.monotonic() > deadline:
                    raise SystemExit("no go from the test")
                time.sleep(0.0005)
            result = card_redeem(user=user, pin_raw=pin, device=device, request=request)
            line = json.dumps(
                {
                    "worker": name,
                    "thread": number,
                    "failure": result.failure,
                    "period": result.period.pk if result.period is not None else None,
                }
            )
            with lock:
                lines.append(line)
        finally:
            connection.close()

    workers = [threading.Thread(target=redeem, args=(n,)) for n in range(count)]
    for worker in workers:
        worker.start()
    ready.wait(timeout=60)
    (sync / f"ready-{name}").touch()
    for worker in workers:
        worker.join(timeout=120)
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:7])
