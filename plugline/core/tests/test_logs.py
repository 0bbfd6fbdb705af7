"""LOG_FORMAT=json: one JSON object per line, as a log collector reads them (plugline.core.logs)."""

from __future__ import annotations

import json
import secrets

from plugline.core.ports import free_port
from plugline.core.tests.test_settings import manage

REQUEST_ID = "6f1c2b7e9d0a4c3b8e5f1a2b3c4d5e6f"

# A line logged outside any request, then a health probe that finds Redis
# down: plugline.core.health and django.request log it while the request is served.
SCRIPT = f"""
import logging
from django.test import Client
logging.getLogger("plugline.drill").warning("outside a request: %s", 42)
response = Client().get("/healthz", HTTP_X_REQUEST_ID="{REQUEST_ID}")
assert response.status_code == 503, response.status_code
"""


def run_script(tmp_path, **env: str):
    # collectstatic's folder (VAR_DIR/static), as on a deployed machine.
    (tmp_path / "static").mkdir()
    return manage(
        "shell",
        "-c",
        SCRIPT,
        env={
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "EMAIL_HOST": "smtp.example",
            "ALLOWED_HOSTS": "testserver",
            "REDIS_URL": f"redis://:hunter2secret@127.0.0.1:{free_port()}/0",
            **env,
        },
        tmp_path=tmp_path,
    )


def test_it_writes_one_json_object_per_line_with_the_request_id(tmp_path) -> None:
    result = run_script(tmp_path, LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    # Every line is a JSON object: nothing else is written to the log.
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    outside = next(line for line in lines if line["logger"] == "plugline.drill")
    assert outside["message"] == "outside a request: 42"
    assert outside["level"] == "WARNING"
    assert outside["request_id"] is None
    assert outside["time"].endswith("+00:00")
    redis_down = next(line for line in lines if line["logger"] == "plugline.core.health")
    assert redis_down["message"] == "Health check: Redis does not answer"
    assert redis_down["request_id"] == REQUEST_ID
    assert "ConnectionError" in redis_down["exc_info"]
    unavailable = next(line for line in lines if line["logger"] == "django.request")
    assert unavailable["message"] == "Service Unavailable: /healthz"
    assert unavailable["request_id"] == REQUEST_ID
    assert unavailable["status_code"] == 503
    assert "request" not in unavailable
    assert "hunter2secret" not in result.stderr


def test_it_writes_plain_lines_by_default(tmp_path) -> None:
    result = run_script(tmp_path)

    assert result.returncode == 0, result.stderr
    assert "WARNING plugline.drill outside a request: 42" in result.stderr
    assert "WARNING plugline.core.health Health check: Redis does not answer" in result.stderr
