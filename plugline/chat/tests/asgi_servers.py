"""Plugline's ASGI application served by daphne in processes of their own, on free ports,
against the test database: for the browser journey and the two-process test."""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from django.db import connection

from plugline.core.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
ALWAYS_OPEN = "Mon-Sun 00:00-24:00"


def test_database_url() -> str:
    """The database the tests use (not the one DATABASE_URL names)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@contextmanager
def daphne_serving(env: Mapping[str, str] | None = None, *, timeout: float = 60) -> Iterator[str]:
    """`daphne plugline.asgi:application` on a free port; yields its http:// address."""
    port = free_port()
    media = tempfile.mkdtemp(prefix="plugline-chat-media-")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "plugline.asgi:application",
        ],
        env={
            **os.environ,
            "DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "plugline.settings",
            "DATABASE_URL": test_database_url(),
            # Images sent in the chats go to a folder of this server's own.
            "MEDIA_ROOT": media,
            # Support always open: chats are offered whatever the hour the tests run at.
            "SUPPORT_HOURS": ALWAYS_OPEN,
            **(env or {}),
        },
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"daphne stopped: {server.communicate()[1][-2000:]}")
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("daphne never answered /healthz")
            time.sleep(0.1)
        yield address
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(media, ignore_errors=True)


@contextmanager
def daphnes_serving(count: int, env: Mapping[str, str] | None = None) -> Iterator[list[str]]:
    with ExitStack() as stack:
        yield [stack.enter_context(daphne_serving(env)) for _ in range(count)]
