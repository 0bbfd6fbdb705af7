"""One browser's "Pay and add to my balance", in a process of its own, for the PostgreSQL race
test of top-ups.

`python -m plugline.minutes.tests.top_up_worker NAME SYNC_DIR USER_ID CARD_ID KEY LAST_SEEN`,
with DATABASE_URL naming the test database: signs the user in on a test
client, says it is ready (a file in SYNC_DIR), waits for the test's go (another
file), then posts the "International minutes" form for $10.00 with that card,
key and the latest top-up the page saw, and prints one JSON line: the status
code and where it was sent.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(name: str, sync_dir: str, user_id: str, card_id: str, key: str, last_seen: str) -> None:
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from plugline.accounts.models import User

    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(pk=user_id))
    sync = Path(sync_dir)
    (sync / f"ready-{name}").touch()
    go = sync / "go"
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go from the test")
        time.sleep(0.0005)
    response = client.post(
        reverse("minutes:minutes"),
        {"amount": "1000", "card": card_id, "idempotency_key": key, "last_seen": last_seen},
    )
    print(
        json.dumps({"status": response.status_code, "location": response.get("Location", "")}),
        flush=True,
    )


if __name__ == "__main__":
    main(*sys.argv[1:7])
