"""One browser or staff member, in a process of its own, for the PostgreSQL race tests of
device upgrades.

`python -m plugline.upgrades.tests.race_worker NAME SYNC_DIR ACTION ARGS...`, with
DATABASE_URL naming the test database: gets ready, says so (a file in SYNC_DIR), waits
for the test's go (another file), then does ACTION and prints one JSON line:

- `pay USER_ID SERIAL CARD_ID KEY OFFER`: posts "Upgrade my device" with that card, key and
  offer (and a shipping address); prints the status code and where it was sent.
- `cancel STAFF_ID ORDER_ID`: cancels the order with its refund; prints whether it did.
- `activate USER_ID ACTIVATION_ID CODE`: posts the activation code of that wizard; prints
  where it was sent.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _wait_for_go(sync: Path, name: str) -> None:
    (sync / f"ready-{name}").touch()
    go = sync / "go"
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go from the test")
        time.sleep(0.0005)


def main(name: str, sync_dir: str, action: str, *args: str) -> None:
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from plugline.accounts.models import User

    setup_test_environment()
    sync = Path(sync_dir)
    if action == "pay":
        from plugline.upgrades.tests.factories import BROOKLYN

        user_id, serial, card_id, key, offer = args
        client = Client()
        client.force_login(User.objects.get(pk=user_id))
        form = {"card": card_id, "idempotency_key": key, "offer": offer}
        form.update({f"ship-{field}": value for field, value in BROOKLYN.items()})
        _wait_for_go(sync, name)
        response = client.post(f"/devices/{serial}/upgrade/", form)
        result = {"status": response.status_code, "location": response.get("Location", "")}
    elif action == "cancel":
        from plugline.upgrades.models import UpgradeOrder
        from plugline.upgrades.orders import upgrade_order_cancel

        staff_id, order_id = args
        staff = User.objects.get(pk=staff_id)
        order = UpgradeOrder.objects.get(pk=order_id)
        _wait_for_go(sync, name)
        result = {"cancelled": upgrade_order_cancel(order=order, reason="race", staff=staff)}
    elif action == "activate":
        from plugline.devices.wizard.state import SESSION_KEY

        user_id, activation_id, code = args
        client = Client()
        client.force_login(User.objects.get(pk=user_id))
        session = client.session
        session[SESSION_KEY] = activation_id
        session.save()
        _wait_for_go(sync, name)
        response = client.post("/activate/code/", {"code": code})
        result = {"status": response.status_code, "location": response.get("Location", "")}
    else:
        raise SystemExit(f"unknown action {action}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
