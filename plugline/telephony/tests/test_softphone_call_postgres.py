"""The browser softphone's call, end to end (e2e/netns_softphone_call.py), run in a network
namespace of its own: WebRTC ignores the loopback interface, so the namespace gets a veth
pair (198.18.0.1, 198.18.0.2) and every process of the call (the portal, Kamailio,
rtpengine, Chromium, baresip) runs there; no interface of the machine is touched.

PostgreSQL and Redis stay outside: a relay outside the namespace listens on Unix sockets
(paths are shared by every namespace) and connects to them; a relay inside listens on the
namespace's own 127.0.0.1 ports and connects to those sockets. The call test uses a database
of its own (the outer one with "_netns"), which pytest-django creates there.

PostgreSQL pass only (Kamailio reads the database), as root (`unshare --net`, as CI runs).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from plugline.telephony.tests.kamailio import needs_postgres

pytestmark = [needs_postgres]

ROOT = Path(settings.BASE_DIR)
RELAY = [sys.executable, "-m", "plugline.telephony.tests.socket_relay"]
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


def test_a_browser_call_in_its_own_network_namespace_carries_audio_both_ways():
    assert os.geteuid() == 0, "unshare --net needs root, as CI runs"
    database_url = os.environ["DATABASE_URL"]
    redis_url = os.environ.get("REDIS_URL", "")
    pg_host, pg_port = _host_port(database_url, 5432)
    with tempfile.TemporaryDirectory(prefix="plugline-netns-") as directory:
        sockets = Path(directory)
        outside = ["unix:" + str(sockets / "pg.sock"), f"tcp:{pg_host}:{pg_port}"]
        inside = [f"tcp:127.0.0.1:{pg_port}", "unix:" + str(sockets / "pg.sock")]
        environment = {**os.environ, "DATABASE_URL": _renamed_database(database_url)}
        if redis_url:
            redis_host, redis_port = _host_port(redis_url, 6379)
            outside += ["unix:" + str(sockets / "redis.sock"), f"tcp:{redis_host}:{redis_port}"]
            inside += [f"tcp:127.0.0.1:{redis_port}", "unix:" + str(sockets / "redis.sock")]
            environment["REDIS_URL"] = redis_url.replace(redis_host, "127.0.0.1", 1)
        environment["DATABASE_URL"] = environment["DATABASE_URL"].replace(pg_host, "127.0.0.1", 1)
        relay = subprocess.Popen([*RELAY, *outside], cwd=ROOT, stdout=subprocess.PIPE)
        try:
            assert relay.stdout is not None and relay.stdout.readline().strip() == b"relaying"
            # The relay inside ends with the test (the namespace ends with its last process).
            inner = " ".join(
                [
                    *RELAY,
                    *inside,
                    ">/dev/null 2>&1 & relay=$!; sleep 1;",
                    sys.executable,
                    "-m pytest -q -p no:cacheprovider -s e2e/netns_softphone_call.py;",
                    'status=$?; kill "$relay"; exit "$status"',
                ]
            )
            started = time.monotonic()
            result = subprocess.run(
                ["unshare", "--net", "sh", "-c", NAMESPACE_SETUP + inner],
                cwd=ROOT,
                env=environment,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        finally:
            relay.terminate()
            relay.wait(timeout=10)
    output = result.stdout[-30000:] + result.stderr[-5000:]
    assert result.returncode == 0, output
    assert "1 passed" in result.stdout, output
    assert time.monotonic() - started < 600
