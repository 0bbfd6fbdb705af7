"""The ASGI service as its systemd unit starts it (deploy/systemd/plugline-asgi.service):
daphne accepts the unit's options and serves Plugline, HTTP and the chat's WebSocket."""

from __future__ import annotations

import http.client
import os
import subprocess
import time
from pathlib import Path

import websocket

from plugline.core.ports import free_port
from plugline.core.tests.test_deploy import DEPLOY, INSTALL_ROOT, ROOT, unit_command


def test_it_serves_the_portal_and_the_chat_socket_with_the_units_options(tmp_path: Path):
    arguments = unit_command(DEPLOY / "systemd" / "plugline-asgi.service", {})
    assert arguments[0] == f"{INSTALL_ROOT}/.venv/bin/daphne"
    port = free_port()
    arguments = [
        str(port) if word == "8001" else word.replace(f"{INSTALL_ROOT}/", f"{ROOT}/")
        for word in arguments
    ]
    server = subprocess.Popen(
        arguments,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "DEBUG": "1", "VAR_DIR": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[1][-2000:]
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/healthz")
                status = probe.getresponse().status
                break
            except OSError:
                assert time.monotonic() < deadline, "daphne never answered"
                time.sleep(0.2)
        assert status == 200
        # Without a chat opened by this browser, the socket is refused (403), not missing.
        try:
            websocket.create_connection(
                f"ws://127.0.0.1:{port}/ws/chat/", origin=f"http://127.0.0.1:{port}", timeout=10
            )
            refused = None
        except websocket.WebSocketBadStatusException as error:
            refused = error.status_code
        assert refused == 403
    finally:
        server.terminate()
        server.wait(timeout=30)
