"""Production settings pass Django's deployment checks; missing secrets stop start-up."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`manage.py <args>` in a fresh process with only `env` (and a private VAR_DIR)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "plugline.example",
        "EMAIL_HOST": "smtp.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'plugline.sqlite3'}",
    }


def test_production_settings_pass_the_deployment_checks(production_env, tmp_path: Path):
    result = manage("check", "--deploy", env=production_env, tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is required when DEBUG is off"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY must be at least 50 random characters"),
        ({"EMAIL_HOST": ""}, "EMAIL_HOST is required when DEBUG is off"),
        ({"EMAIL_PORT": "twenty-five"}, "EMAIL_PORT must be an integer, not 'twenty-five'"),
    ],
    ids=["no-secret-key", "short-secret-key", "no-email-host", "bad-email-port"],
)
def test_it_refuses_to_start_with_a_clear_message(
    production_env, tmp_path: Path, change: dict[str, str], message: str
):
    env = {**production_env, **change}
    result = manage("check", env={k: v for k, v in env.items() if v}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr
