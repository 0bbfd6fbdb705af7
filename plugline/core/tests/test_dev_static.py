"""The development server (`make run`: DEBUG=1 `manage.py runserver`) serves the static files,
and answers a path that climbs out of them with a 404, not a server error."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from plugline.core.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 60


def _status(port: int, path: str) -> int:
    """The status of GET `path`, sent as it is written (no client tidies it up)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`manage.py runserver` as `make run` starts it, in its own process and folder."""
    var_dir = tmp_path_factory.mktemp("var")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DEBUG": "1",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'plugline.sqlite3'}",
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the development server did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_it_serves_the_static_files(dev_server: int):
    assert _status(dev_server, "/static/core/plugline.css") == 200
    assert _status(dev_server, "/static/vendor/leaflet/leaflet.js") == 200


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%2Fsettings.py",
        "/static/..%2F..%2Fmanage.py",
        "/static/core/..%2F..%2F..%2Fsettings.py",
        "/static/%2e%2e/urls.py",
        "/static/core/../../settings.py",
    ],
)
def test_it_answers_a_path_out_of_the_static_files_with_a_404(dev_server: int, path: str):
    assert _status(dev_server, path) == 404
