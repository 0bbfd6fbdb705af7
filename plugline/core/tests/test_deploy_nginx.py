"""deploy/nginx/plugline.conf at work: nginx started from it in front of a stand-in portal.

The site is started as shipped except for what only a deployment knows (its
ports become free ports on 127.0.0.1, the certificate a self-signed one, the
static folder and the application server this test's own), and a small HTTP
server stands in for gunicorn, answering with the headers it received. What
an operator relies on: HTTP goes to HTTPS, the client's address and scheme
reach Plugline in the form it trusts (TRUSTED_PROXY_COUNT=1 from the
environment template), a forged X-Forwarded-For does not make another
address, static files come from collectstatic's folder, /metrics never
reaches Plugline, WebSocket upgrades are passed on, large bodies are refused.
With two application servers (as bench/load.py runs it): a request whose
server died before answering goes to the other one if it is a GET, never if
it is a POST (a payment is not sent twice), and while one server is down
every request goes to the other.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import RequestFactory

from plugline.core.http import client_ip
from plugline.core.ports import free_port
from plugline.core.tests.test_deploy import (
    CERTIFICATE,
    CERTIFICATE_KEY,
    DEPLOY,
    command,
    env_file,
    self_signed_certificate,
)

HOST = "portal.example.net"


class StandInPortal(BaseHTTPRequestHandler):
    """Answers every request with the path and headers it received, as JSON."""

    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        StandInPortal.seen.append(self.path)
        body = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class DiesInFlight(BaseHTTPRequestHandler):
    """An application server killed while it handles a request: it reads it, never answers."""

    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        DiesInFlight.seen.append(f"{self.command} {self.path}")
        self.close_connection = True

    do_GET = do_POST = answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Site:
    http_port: int
    https_port: int

    def get(
        self, path: str, headers: dict[str, str] | None = None, *, body: bytes | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, context=context, timeout=10
        )
        try:
            conn.request(
                "POST" if body is not None else "GET",
                path,
                body=body,
                headers={"Host": HOST, **(headers or {})},
            )
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


def wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"nginx stopped: {process.communicate()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nginx does not answer on {port}")


@contextmanager
def nginx_site(tmp_path: Path, upstreams: list[int]) -> Iterator[Site]:
    """nginx from the site, its upstream made of the servers on these ports, in this order."""
    static = tmp_path / "static"
    (static / "core").mkdir(parents=True)
    (static / "core" / "plugline.0123456789ab.css").write_text("body { color: black }\n")
    (static / "core" / "plugline.css").write_text("body { color: black }\n")
    cert_path, key_path = self_signed_certificate(tmp_path)
    ports = Site(http_port=free_port(), https_port=free_port())
    text = (DEPLOY / "nginx" / "plugline.conf").read_text()
    servers = "".join(f"    server 127.0.0.1:{port};\n" for port in upstreams)
    for shipped, here in (
        ("    listen [::]:80;\n", ""),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("listen 80;", f"listen 127.0.0.1:{ports.http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{ports.https_port} ssl http2;"),
        ("    server 127.0.0.1:8000;\n", servers),
        # The live chat's ASGI upstream (/ws/): the same stand-in servers.
        ("    server 127.0.0.1:8001;\n", servers),
        ("/var/lib/plugline/static/", f"{static}/"),
        (CERTIFICATE, str(cert_path)),
        (CERTIFICATE_KEY, str(key_path)),
    ):
        assert shipped in text, shipped
        text = text.replace(shipped, here)
    (tmp_path / "plugline.conf").write_text(text)
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        # As root the workers would run as nobody, who cannot read this test's folder.
        "user root;\n"
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "worker_processes 1;\n"
        "events {}\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        f"    access_log {tmp_path}/access.log;\n"
        f"    client_body_temp_path {tmp_path}/body;\n"
        f"    proxy_temp_path {tmp_path}/proxy;\n"
        f"    include {tmp_path}/plugline.conf;\n"
        "}\n"
    )
    nginx = subprocess.Popen(
        [command("nginx"), "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(ports.https_port, nginx)
        StandInPortal.seen = []
        DiesInFlight.seen = []
        yield ports
    finally:
        nginx.terminate()
        nginx.wait(timeout=15)


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """A stand-in application server on a free port; its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with serving(StandInPortal) as portal, nginx_site(tmp_path, [portal]) as ports:
        yield ports


def test_it_sends_plain_http_to_https(site: Site) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=10)
    conn.request("GET", "/account/?tab=devices", headers={"Host": HOST})
    response = conn.getresponse()

    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/account/?tab=devices"


def test_it_passes_the_client_address_in_the_form_plugline_trusts(site: Site, settings) -> None:
    environment, _listed = env_file(DEPLOY / "plugline.env.example")
    settings.TRUSTED_PROXY_COUNT = int(environment["TRUSTED_PROXY_COUNT"])

    status, _headers, body = site.get("/accounts/login/", {"X-Forwarded-For": "203.0.113.9"})

    assert status == 200
    received = {name.lower(): value for name, value in json.loads(body)["headers"].items()}
    assert received["host"] == HOST
    assert received["x-forwarded-proto"] == "https"
    assert received["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert len(received["x-request-id"]) == 32
    # As Plugline reads it behind this nginx: the address nginx was connected
    # from, not the one the client wrote.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=received["x-forwarded-for"]
    )
    assert client_ip(request) == "127.0.0.1"


def test_it_serves_static_files_from_collectstatics_folder(site: Site) -> None:
    status, headers, body = site.get("/static/core/plugline.0123456789ab.css")
    assert status == 200
    assert body == b"body { color: black }\n"
    assert headers["Content-Type"] == "text/css"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"

    status, headers, _body = site.get("/static/core/plugline.css")
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=3600"

    assert site.get("/static/core/missing.css")[0] == 404
    assert StandInPortal.seen == []


def test_it_never_lets_metrics_reach_plugline(site: Site) -> None:
    status, _headers, _body = site.get("/metrics")

    assert status == 404
    assert StandInPortal.seen == []


def test_it_passes_websocket_upgrades_on(site: Site) -> None:
    status, _headers, body = site.get(
        "/ws/chat/", {"Upgrade": "websocket", "Connection": "Upgrade"}
    )

    assert status == 200
    received = {name.lower(): value for name, value in json.loads(body)["headers"].items()}
    assert received["upgrade"] == "websocket"
    assert received["connection"] == "upgrade"


def test_it_refuses_a_body_over_ten_megabytes(site: Site) -> None:
    status, _headers, _body = site.get("/stores/import/", body=b"x" * (10 * 1024 * 1024 + 1))

    assert status == 413
    assert StandInPortal.seen == []
    assert site.get("/stores/import/", body=b"x" * 1024)[0] == 200


# Two application servers (bench/load.py's kill drill): nginx sends the first
# request to the first server of the upstream.


def test_it_passes_a_get_its_server_died_on_to_the_other_server(tmp_path: Path) -> None:
    with (
        serving(DiesInFlight) as dying,
        serving(StandInPortal) as portal,
        nginx_site(tmp_path, [dying, portal]) as site,
    ):
        status, _headers, body = site.get("/account/")

    assert status == 200
    assert json.loads(body)["path"] == "/account/"
    assert DiesInFlight.seen == ["GET /account/"]
    assert StandInPortal.seen == ["/account/"]


def test_it_never_sends_a_post_twice_when_its_server_dies_on_it(tmp_path: Path) -> None:
    with (
        serving(DiesInFlight) as dying,
        serving(StandInPortal) as portal,
        nginx_site(tmp_path, [dying, portal]) as site,
    ):
        status, _headers, _body = site.get("/renew/checkout/", body=b"idempotency_key=pay_1")

    assert status == 502
    assert DiesInFlight.seen == ["POST /renew/checkout/"]
    assert StandInPortal.seen == []


def test_it_sends_a_post_to_the_other_server_while_one_is_down(tmp_path: Path) -> None:
    with serving(StandInPortal) as portal, nginx_site(tmp_path, [free_port(), portal]) as site:
        status, _headers, _body = site.get("/renew/checkout/", body=b"idempotency_key=pay_1")

    assert status == 200
    assert StandInPortal.seen == ["/renew/checkout/"]
