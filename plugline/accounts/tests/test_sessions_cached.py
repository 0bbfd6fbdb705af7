"""With Redis configured, a signed-in page reads its session from the cache, not the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber

ROOT = Path(__file__).resolve().parents[3]
CACHED_DB = "django.contrib.sessions.backends.cached_db"


def session_engine(env: dict[str, str], tmp_path: Path) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SESSION_ENGINE)",
        ],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "plugline.settings",
            "DEBUG": "1",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_it_keeps_sessions_in_the_cache_when_redis_is_configured(tmp_path: Path):
    assert (
        session_engine({"REDIS_URL": "redis://127.0.0.1:6379/0"}, tmp_path)
        == "plugline.accounts.session_store"
    )
    assert session_engine({}, tmp_path) == "django.contrib.sessions.backends.db"


def test_it_serves_a_signed_in_page_without_reading_the_session_from_the_database(
    alice: Subscriber, settings
):
    settings.SESSION_ENGINE = CACHED_DB
    laptop = Client(HTTP_USER_AGENT="Firefox", REMOTE_ADDR="203.0.113.20")
    response = laptop.post("/accounts/login/", {"login": alice.email, "password": alice.password})
    assert response.status_code == 302
    laptop.get("/account/")

    with CaptureQueriesContext(connection) as queries:
        page = laptop.get("/account/").content.decode()

    assert alice.email in page
    assert not [query for query in queries if '"django_session"' in query["sql"]]
    # The session is in the database too: the list of signed-in browsers shows it.
    assert "This browser" in laptop.get("/accounts/sessions/").content.decode()
