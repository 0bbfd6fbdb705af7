"""The browser softphone's call, end to end (e2e/netns_softphone_call.py), run in a network
namespace of its own: WebRTC ignores the loopback interface, so the namespace gets a veth
pair (198.18.0.1, 198.18.0.2) and every process of the call (the portal, Kamailio,
rtpengine, Chromium, baresip) runs there; no interface of the machine is touched.

PostgreSQL and Redis stay outside: socat outside the namespace listens on Unix sockets
(paths are shared by every namespace) and connects to them; socat inside listens on the
namespace's own 127.0.0.1 ports and connects to those sockets. The call test uses a database
of its own (the outer one with "_netns"), which pytest-django creates there.

PostgreSQL pass only (Kamailio reads the database). As root (CI) the namespace is made with
`unshare --net`; as another user, inside a user namespace of its own where that user is root
(`unshare --user --map-root-user --net`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from plugline.telephony.tests.calls import wait_for
from plugline.telephony.tests.kamailio import needs_postgres

pytestmark = [needs_postgres]

ROOT = Path(settings.BASE_DIR)
UNSHARE = (
    ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--net"]
)
NAMESPACE_SETUP = (
    "ip link set lo up; ip link add v0 type veth peer name v1; "
    "ip addr add 198.18.0.1/24 dev v0; ip addr add 198.18.0.2/24 dev v1; "
    "ip link set v0 up; ip link set v1 up; "
)


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def _renamed_database(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_netns"))


def _relay(listen: str, target: str) -> str:
    """socat relaying each connection to `listen` to `target`, for as long as it runs."""
    return f"socat {listen},fork,reuseaddr {target}"


def test_a_browser_call_in_its_own_network_namespace_carries_audio_both_ways():
    database_url = os.environ["DATABASE_URL"]
    redis_url = os.environ.get("REDIS_URL", "")
    services = [("pg", *_host_port(database_url, 5432))]
    environment = {**os.environ, "DATABASE_URL": _renamed_database(database_url)}
    if redis_url:
        services.append(("redis", *_host_port(redis_url, 6379)))
    with tempfile.TemporaryDirectory(prefix="plugline-netns-") as directory:
        sockets = Path(directory)
        outside, inside = [], []
        for name, host, port in services:
            path = sockets / f"{name}.sock"
            outside.append(
                subprocess.Popen(
                    _relay(f"UNIX-LISTEN:{path}", f"TCP:{host}:{port}").split(),
                    stderr=subprocess.DEVNULL,
                )
            )
            inside.append(
                _relay(f"TCP-LISTEN:{port},bind=127.0.0.1", f"UNIX-CONNECT:{path}")
                + ' >/dev/null 2>&1 & relays="$relays $!";'
                f" until socat -u OPEN:/dev/null TCP:127.0.0.1:{port} 2>/dev/null;"
                " do sleep 0.1; done;"
            )
            for key in ("DATABASE_URL", "REDIS_URL"):
                if key in environment:
                    environment[key] = environment[key].replace(f"@{host}:", "@127.0.0.1:")
                    environment[key] = environment[key].replace(f"//{host}:", "//127.0.0.1:")
        try:
            for relay, (name, _host, _port) in zip(outside, services, strict=True):
                path = sockets / f"{name}.sock"
                wait_for(path.is_socket, what=f"the relay of {name} listening", timeout=10)
                assert relay.poll() is None
            # The relays inside are stopped when the test has run (the namespace goes with
            # its last process).
            inner = " ".join(
                [
                    *inside,
                    sys.executable,
                    "-m pytest -q -p no:cacheprovider -s e2e/netns_softphone_call.py;",
                    'status=$?; kill $relays; exit "$status"',
                ]
            )
            result = subprocess.run(
                [*UNSHARE, "sh", "-c", NAMESPACE_SETUP + inner],
                cwd=ROOT,
                env=environment,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        finally:
            for relay in outside:
                relay.terminate()
                relay.wait(timeout=10)
    output = result.stdout[-30000:] + result.stderr[-5000:]
    assert result.returncode == 0, output
    assert "1 passed" in result.stdout, output
