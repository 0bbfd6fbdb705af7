"""`make run` on another port: every link built outside a request points at that port."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SHOW_SITE_URL = "from django.conf import settings; print(settings.SITE_URL)"


def run_commands(*make_args: str, env: dict[str, str] | None = None) -> dict[str, list[str]]:
    """What `make run` would start, by manage.py command: {"runserver": [argv...], ...}."""
    printed = subprocess.run(
        ["make", "-n", "run", *make_args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, **(env or {})},
    ).stdout
    commands = {}
    for line in printed.splitlines():
        words = shlex.split(line.rstrip("\\ &"))
        if "manage.py" in words:
            commands[words[words.index("manage.py") + 1]] = words
    return commands


def site_url_in(command: list[str], tmp_path: Path) -> str:
    """settings.SITE_URL in a process started as `command` (its VAR=value words kept)."""
    assignments = dict(word.split("=", 1) for word in command[: command.index("manage.py") - 1])
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PORT", "SITE_URL", "DJANGO_SETTINGS_MODULE")
    }
    answer = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", SHOW_SITE_URL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**env, **assignments, "VAR_DIR": str(tmp_path)},
    )
    return answer.stdout.strip()


@pytest.fixture
def no_site_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.delenv("PORT", raising=False)


def test_it_points_emailed_links_at_the_port_make_run_serves_on(no_site_url, tmp_path):
    commands = run_commands("PORT=8080")

    assert commands["runserver"][-1] == "127.0.0.1:8080"
    for name in ("runserver", "db_worker", "run_scheduler", "seed_demo"):
        assert site_url_in(commands[name], tmp_path) == "http://127.0.0.1:8080"


def test_it_takes_the_port_from_the_environment_too(no_site_url, tmp_path):
    commands = run_commands(env={"PORT": "8090"})

    assert commands["runserver"][-1] == "127.0.0.1:8090"
    assert site_url_in(commands["db_worker"], tmp_path) == "http://127.0.0.1:8090"


def test_it_keeps_a_site_url_set_on_purpose(no_site_url, tmp_path):
    commands = run_commands("PORT=8080", env={"SITE_URL": "https://phone.example.net"})

    assert site_url_in(commands["runserver"], tmp_path) == "https://phone.example.net"


def test_its_settings_follow_port_when_site_url_is_not_set(no_site_url, tmp_path):
    answer = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", SHOW_SITE_URL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "DEBUG": "1", "PORT": "8080", "VAR_DIR": str(tmp_path)},
    )

    assert answer.stdout.strip() == "http://127.0.0.1:8080"
