"""plugline-device, the real process, answering a browser's requests on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
from collections.abc import Iterator

import pytest

from plugline.devices.keys import (
    device_key_generate,
    presence_signature_is_valid,
    public_key_from_device_key,
)
from plugline.devices.tests.presence_factory import AGENT, RunningAgent, running_agent

PORTAL = "http://portal.example:8000"
SERIAL = "PLG20000001"
KEY = device_key_generate()


@pytest.fixture(scope="module")
def agent() -> Iterator[RunningAgent]:
    with running_agent(serial=SERIAL, key=KEY, portal=PORTAL) as running:
        yield running


def request(
    agent: RunningAgent,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: dict[str, str] | str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=5)
    payload = json.dumps(body) if isinstance(body, dict) else body
    connection.request(method, path, body=payload, headers=headers or {})
    response = connection.getresponse()
    answer = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    connection.close()
    return answer


JSON = {"Content-Type": "application/json"}


def test_it_tells_the_portal_its_serial(agent: RunningAgent) -> None:
    status, headers, body = request(agent, "GET", "/v1/device", headers={"Origin": PORTAL})

    assert status == 200
    assert json.loads(body) == {"serial": SERIAL}
    assert headers["access-control-allow-origin"] == PORTAL
    assert headers["vary"] == "Origin"


def test_it_signs_the_portals_challenge_with_the_device_key(agent: RunningAgent) -> None:
    status, headers, body = request(
        agent,
        "POST",
        "/v1/presence",
        headers={"Origin": PORTAL, **JSON},
        body={"challenge": "one-time-challenge"},
    )

    assert status == 200
    answer = json.loads(body)
    assert answer["serial"] == SERIAL
    assert presence_signature_is_valid(
        public_key=public_key_from_device_key(KEY),
        challenge="one-time-challenge",
        signature=answer["signature"],
    )
    assert headers["access-control-allow-origin"] == PORTAL


def test_it_answers_the_portals_preflight_with_private_network_access(
    agent: RunningAgent,
) -> None:
    status, headers, _ = request(
        agent,
        "OPTIONS",
        "/v1/presence",
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
            "Access-Control-Request-Private-Network": "true",
        },
    )

    assert status == 204
    assert headers["access-control-allow-origin"] == PORTAL
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"].lower() == "content-type"
    assert headers["access-control-allow-private-network"] == "true"
    assert headers["vary"] == "Origin"


def test_it_refuses_another_websites_preflight(agent: RunningAgent) -> None:
    status, headers, _ = request(
        agent,
        "OPTIONS",
        "/v1/presence",
        headers={
            "Origin": "https://attacker.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true",
        },
    )

    assert status == 403
    assert not any(name.startswith("access-control-") for name in headers)


def test_it_signs_nothing_for_another_website(agent: RunningAgent) -> None:
    # A form-like POST needs no preflight: the agent itself must refuse it.
    for content_type in ("application/json", "text/plain"):
        status, _, body = request(
            agent,
            "POST",
            "/v1/presence",
            headers={"Origin": "https://attacker.example", "Content-Type": content_type},
            body=json.dumps({"challenge": "stolen-challenge"}),
        )

        assert status == 403
        assert json.loads(body) == {"error": "origin_refused"}


def test_it_tells_another_address_only_that_it_is_refused(agent: RunningAgent) -> None:
    # The portal on another port, say: its page can read the refusal (and so
    # explain it), but learns nothing of the device.
    other = "http://portal.example:8080"
    status, headers, body = request(agent, "GET", "/v1/device", headers={"Origin": other})

    assert status == 403
    assert json.loads(body) == {"error": "origin_refused"}
    assert headers["access-control-allow-origin"] == other
    assert headers["vary"] == "Origin"
    assert SERIAL.encode() not in body


def test_it_refuses_a_page_that_reached_it_by_dns_rebinding(agent: RunningAgent) -> None:
    status, _, body = request(
        agent, "GET", "/v1/device", headers={"Host": f"attacker.example:{agent.port}"}
    )

    assert status == 403
    assert SERIAL.encode() not in body


def test_it_signs_only_a_json_body(agent: RunningAgent) -> None:
    status, _, body = request(
        agent,
        "POST",
        "/v1/presence",
        headers={"Origin": PORTAL, "Content-Type": "text/plain"},
        body=json.dumps({"challenge": "x"}),
    )

    assert status == 415
    assert b"signature" not in body


def test_it_never_logs_its_key_or_signatures(agent: RunningAgent) -> None:
    _, _, body = request(
        agent,
        "POST",
        "/v1/presence",
        headers={"Origin": PORTAL, **JSON},
        body={"challenge": "logged-challenge"},
    )
    signature = json.loads(body)["signature"]

    log = agent.log()
    assert '"POST /v1/presence" 200' in log
    assert KEY not in log
    assert signature not in log
    assert "logged-challenge" not in log


def test_it_refuses_to_start_without_a_valid_key() -> None:
    result = subprocess.run(
        [str(AGENT), "--serial", SERIAL, "--key", "not-a-key", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    assert "not a device key" in result.stdout


def start_without_portal(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(AGENT), "--serial", SERIAL, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PLUGLINE_DEVICE_KEY": KEY, **env},
    )


def test_it_answers_the_portal_on_port_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORT", raising=False)
    for env, origins in [
        ({"PORT": "8080"}, "http://127.0.0.1:8080, http://localhost:8080"),
        ({}, "http://127.0.0.1:8000, http://localhost:8000"),
    ]:
        process = start_without_portal(env)
        try:
            assert process.stdout is not None
            first_line = process.stdout.readline()
        finally:
            process.terminate()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()

        assert first_line.rstrip().endswith(f"for {origins}")


def test_it_refuses_to_start_with_a_port_that_is_not_one() -> None:
    result = subprocess.run(
        [str(AGENT), "--serial", SERIAL, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "PLUGLINE_DEVICE_KEY": KEY, "PORT": "eighty"},
    )

    assert result.returncode == 2
    assert "PORT must be a port number" in result.stdout
