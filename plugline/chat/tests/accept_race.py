"""One of two agents accepting the same chat at once, in a process of its own.

Run by test_accept_race_postgres: `python -m plugline.chat.tests.accept_race NAME SYNC_DIR
AGENT_ID CONVERSATION_ID`, with DATABASE_URL naming the test database. It says it is
ready (a file in SYNC_DIR), waits for the test's go (another file), accepts, and prints
"won" or "lost".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(name: str, sync_dir: str, agent_id: str, conversation_id: str) -> None:
    import django

    django.setup()
    from django.db import connection

    from plugline.accounts.models import User
    from plugline.chat.services import ChatRefused, conversation_accept

    agent = User.objects.get(pk=int(agent_id))
    connection.ensure_connection()
    sync = Path(sync_dir)
    (sync / f"ready-{name}").touch()
    go = sync / "go"
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go from the test")
        time.sleep(0.0005)
    try:
        conversation_accept(conversation_id=int(conversation_id), agent=agent)
    except ChatRefused:
        print("lost", flush=True)
    else:
        print("won", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
