"""The device API: challenge, proof and status, signed with the device key; its schema."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.billing.models import Subscription
from plugline.devices.keys import device_key_generate, presence_sign
from plugline.devices.models import Device, DeviceChallenge, DeviceStatus
from plugline.devices.services import device_suspend
from plugline.devices.tests.presence_factory import AGENT, BoxedDevice, make_boxed_device

pytestmark = pytest.mark.django_db

API = "/api/v1/device"


def post(client: Client, path: str, data: dict[str, str], **extra: Any):
    return client.post(f"{API}{path}", data, content_type="application/json", **extra)


def paid(device: Device, *, days_left: int = 30) -> Device:
    """`device` with a service paid until `days_left` days from now (negative: ended)."""
    Subscription.objects.create(device=device, ends_at=timezone.now() + timedelta(days=days_left))
    return device


def signed(client: Client, boxed: BoxedDevice, *, key: str | None = None) -> dict[str, str]:
    challenge = post(client, "/challenge", {"serial": boxed.serial}).json()["challenge"]
    return {
        "serial": boxed.serial,
        "challenge": challenge,
        "signature": presence_sign(device_key=key or boxed.key, challenge=challenge),
    }


def test_it_gives_a_device_a_challenge_that_expires(client: Client) -> None:
    boxed = make_boxed_device()

    response = post(client, "/challenge", {"serial": boxed.serial})

    assert response.status_code == 200
    assert set(response.json()) == {"challenge", "expires_at"}
    assert DeviceChallenge.objects.get().purpose == "agent"


def test_it_answers_an_unknown_serial_like_a_known_one(client: Client) -> None:
    boxed = make_boxed_device()

    known = post(client, "/challenge", {"serial": boxed.serial})
    unknown = post(client, "/challenge", {"serial": "PLG99999999"})

    assert unknown.status_code == known.status_code == 200
    assert set(unknown.json()) == set(known.json())
    assert len(unknown.json()["challenge"]) == len(known.json()["challenge"])
    # ... and that challenge never verifies.
    proof = post(
        client,
        "/proof",
        {
            "serial": "PLG99999999",
            "challenge": unknown.json()["challenge"],
            "signature": presence_sign(
                device_key=device_key_generate(), challenge=unknown.json()["challenge"]
            ),
        },
    )
    assert proof.json() == {"present": False}


def test_it_says_present_to_the_devices_signature(client: Client) -> None:
    boxed = make_boxed_device()

    response = post(client, "/proof", signed(client, boxed))

    assert response.status_code == 200
    assert response.json() == {"present": True}


def test_it_says_not_present_to_another_keys_signature(client: Client) -> None:
    boxed = make_boxed_device()

    response = post(client, "/proof", signed(client, boxed, key=device_key_generate()))

    assert response.json() == {"present": False}


def test_it_accepts_each_signed_challenge_once(client: Client) -> None:
    boxed = make_boxed_device()
    proof = signed(client, boxed)

    assert post(client, "/proof", proof).json() == {"present": True}
    assert post(client, "/proof", proof).json() == {"present": False}
    assert post(client, "/status", proof).status_code == 403


def test_it_tells_a_device_in_its_grace_days_that_it_is_active(
    client: Client, alice: Subscriber
) -> None:
    boxed = make_boxed_device("PLG30000011", status=DeviceStatus.ACTIVE, owner=alice.user)
    paid(boxed.device, days_left=-1)

    assert settings.BILLING_GRACE_DAYS >= 1
    assert post(client, "/status", signed(client, boxed)).json()["status"] == "active"


def test_it_tells_a_device_whose_service_ended_that_it_expired(
    client: Client, alice: Subscriber
) -> None:
    boxed = make_boxed_device("PLG30000012", status=DeviceStatus.ACTIVE, owner=alice.user)
    paid(boxed.device, days_left=-settings.BILLING_GRACE_DAYS - 1)

    assert post(client, "/status", signed(client, boxed)).json()["status"] == "expired"


def test_it_tells_a_device_staff_suspended_that_it_is_suspended(
    client: Client, alice: Subscriber, staff
) -> None:
    boxed = make_boxed_device("PLG30000013", status=DeviceStatus.ACTIVE, owner=alice.user)
    paid(boxed.device)
    device_suspend(device=boxed.device, reason="Chargeback", actor=staff)

    assert post(client, "/status", signed(client, boxed)).json()["status"] == "suspended"


def test_it_tells_a_device_its_own_status(client: Client, alice: Subscriber) -> None:
    active = make_boxed_device("PLG30000001", status=DeviceStatus.ACTIVE, owner=alice.user)
    active.device.phone_number = "+12125550199"
    active.device.save()
    paid(active.device)
    boxed = make_boxed_device("PLG30000002")

    assert post(client, "/status", signed(client, active)).json() == {
        "status": "active",
        "phone_number": "+12125550199",
        "model": "Plugline USB",
    }
    assert post(client, "/status", signed(client, boxed)).json() == {
        "status": "sold_in_store",
        "phone_number": None,
        "model": "Plugline USB",
    }


def test_it_tells_nothing_without_the_devices_signature(client: Client) -> None:
    boxed = make_boxed_device()

    response = post(client, "/status", signed(client, boxed, key=device_key_generate()))

    assert response.status_code == 403
    assert set(response.json()) == {"detail"}


def test_it_limits_challenges_per_serial(client: Client) -> None:
    boxed = make_boxed_device()
    answers = [post(client, "/challenge", {"serial": boxed.serial}) for _ in range(11)]

    assert [a.status_code for a in answers[:10]] == [200] * 10
    assert answers[10].status_code == 429
    assert "Too many requests" in answers[10].json()["detail"]
    # Another serial from the same address still gets one.
    assert post(client, "/challenge", {"serial": "PLG30000009"}).status_code == 200


def test_it_limits_challenges_per_client_address(client: Client) -> None:
    statuses = [
        post(client, "/challenge", {"serial": f"PLG4{n:07d}"}).status_code for n in range(61)
    ]

    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
    # Another address is not held up.
    assert (
        post(client, "/challenge", {"serial": "PLG40000000"}, REMOTE_ADDR="192.0.2.7").status_code
        == 200
    )


def test_it_limits_signed_requests_per_serial(client: Client) -> None:
    boxed = make_boxed_device()
    proof = {"serial": boxed.serial, "challenge": "x", "signature": "y"}
    statuses = [post(client, "/proof", proof).status_code for _ in range(11)]

    assert statuses == [200] * 10 + [429]


def test_it_refuses_a_malformed_request(client: Client) -> None:
    assert post(client, "/challenge", {}).status_code == 422
    assert post(client, "/challenge", {"serial": "X" * 41}).status_code == 422


def test_it_needs_no_csrf_token(client: Client) -> None:
    strict = Client(enforce_csrf_checks=True)
    boxed = make_boxed_device()

    response = post(strict, "/proof", signed(strict, boxed))

    assert response.json() == {"present": True}


def test_it_serves_its_openapi_schema(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Plugline API"
    assert schema["info"]["version"] == "1"
    assert {
        "/api/v1/device/challenge",
        "/api/v1/device/proof",
        "/api/v1/device/status",
    } <= set(schema["paths"])
    for path in ("challenge", "proof", "status"):
        operation = schema["paths"][f"/api/v1/device/{path}"]["post"]
        assert "429" in operation["responses"]
    assert "403" in schema["paths"]["/api/v1/device/status"]["post"]["responses"]


def test_it_serves_the_api_docs(client: Client) -> None:
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content


@pytest.mark.django_db(transaction=True)
def test_the_agent_checks_its_status_with_the_portal(live_server, alice: Subscriber) -> None:
    boxed = make_boxed_device("PLG30000003", status=DeviceStatus.ACTIVE, owner=alice.user)
    boxed.device.phone_number = "+12125550198"
    boxed.device.save()
    paid(boxed.device)

    result = subprocess.run(
        [str(AGENT), "--serial", boxed.serial, "--check", "--portal", live_server.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PLUGLINE_DEVICE_KEY": boxed.key},
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "status: active" in result.stdout
    assert "phone number: +12125550198" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_the_agent_check_fails_for_a_wrong_key(live_server) -> None:
    boxed = make_boxed_device()

    result = subprocess.run(
        [str(AGENT), "--serial", boxed.serial, "--check", "--portal", live_server.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PLUGLINE_DEVICE_KEY": device_key_generate()},
    )

    assert result.returncode == 1
    assert "did not accept this device" in result.stdout
