"""One browser's "Pay", in a process of its own, for the PostgreSQL payment tests.

`python -m plugline.billing.tests.pay_worker NAME SYNC_DIR USER_ID CARD_ID KEY`,
with DATABASE_URL naming the test database: signs the user in on a test
client, says it is ready (a file in SYNC_DIR), waits for the test's go (another
file), then posts the checkout form with that card and idempotency key and
prints one JSON line: the status code, where it was sent, and whether the page
says to wait (a lost answer) or that the cart is being paid already. With
PLUGLINE_TEST_KILL_AFTER_CHARGE=1 the process kills itself (SIGKILL) right
after the gateway answers, before anything is recorded.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(name: str, sync_dir: str, user_id: str, card_id: str, key: str) -> None:
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from plugline.accounts.models import User
    from plugline.billing.checkout_selectors import cart_lines

    setup_test_environment()
    user = User.objects.get(pk=user_id)
    client = Client()
    client.force_login(user)
    total = sum(line.amount or 0 for line in cart_lines(user=user))
    sync = Path(sync_dir)
    (sync / f"ready-{name}").touch()
    go = sync / "go"
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go from the test")
        time.sleep(0.0005)
    response = client.post(
        reverse("checkout:checkout"), {"card": card_id, "idempotency_key": key, "total": total}
    )
    text = response.content.decode() if response.status_code in (200, 409) else ""
    print(
        json.dumps(
            {
                "status": response.status_code,
                "location": response.get("Location", ""),
                "pending": "Do not pay again" in text,
                # Refused: the cart is held by a payment still waiting for its outcome.
                "being_paid": response.status_code == 409 and "Check again" in text,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(*sys.argv[1:6])
