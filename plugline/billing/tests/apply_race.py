"""One of two workers applying payment items at the same moment, in a process of its own.

Run by test_apply_race_postgres: `python -m plugline.billing.tests.apply_race
NAME SYNC_DIR ITEM_ID...`, with DATABASE_URL naming the test database. For
each item in turn it says it is ready (a file in SYNC_DIR), waits for the
test's go (another file), applies the item and prints one JSON line: the
period it got and the subscription's end date then.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(name: str, sync_dir: str, item_ids: list[str]) -> None:
    import django

    django.setup()
    from plugline.billing.models import PaymentItem
    from plugline.billing.services import subscription_apply_payment_item

    sync = Path(sync_dir)
    for round_number, item_id in enumerate(item_ids):
        item = PaymentItem.objects.select_related("payment").get(pk=item_id)
        (sync / f"ready-{name}-{round_number}").touch()
        go = sync / f"go-{round_number}"
        deadline = time.monotonic() + 60
        while not go.exists():
            if time.monotonic() > deadline:
                raise SystemExit("no go from the test")
            time.sleep(0.0005)
        period = subscription_apply_payment_item(item=item)
        print(
            json.dumps(
                {"round": round_number, "item": item.pk, "period": period.pk},
            ),
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
