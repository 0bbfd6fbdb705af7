"""One of two browsers racing for the same numbers, in a process of its own.

Run by test_number_race_postgres: `python -m plugline.devices.tests.number_race
ACTIVATION_ID SYNC_DIR NUMBER...`, with DATABASE_URL naming the test database.
For each number in turn, it says it is ready (a file in SYNC_DIR), waits for
the test's go (another file), then chooses the number on the wizard's
"Choose a phone number" page, as a browser would, and prints one JSON line:
whether it got the number and whether the page asked it to choose again.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(activation_id: str, sync_dir: str, numbers: list[str]) -> None:
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from plugline.devices.wizard.state import SESSION_KEY

    setup_test_environment()
    client = Client()
    session = client.session
    session[SESSION_KEY] = activation_id
    session.save()
    sync = Path(sync_dir)
    for number in numbers:
        (sync / f"ready-{activation_id}-{number}").touch()
        go = sync / f"go-{number}"
        deadline = time.monotonic() + 60
        while not go.exists():
            if time.monotonic() > deadline:
                raise SystemExit("no go from the test")
            time.sleep(0.0005)
        area_code = number[2:5]
        response = client.post(f"/activate/number/?area_code={area_code}", {"number": number})
        page = response.content.decode() if response.status_code == 200 else ""
        print(
            json.dumps(
                {
                    "number": number,
                    "won": response.status_code == 302,
                    "told_to_choose_again": "That number was just taken. Please choose another."
                    in page,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
