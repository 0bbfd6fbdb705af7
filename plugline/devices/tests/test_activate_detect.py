"""Step 1 of the activation wizard: the agent's signature, or the serial and label code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.devices.keys import device_key_generate, presence_sign
from plugline.devices.models import Activation, DeviceChallenge, DeviceStatus
from plugline.devices.tests.presence_factory import BoxedDevice, make_boxed_device
from plugline.devices.wizard.state import SESSION_KEY

pytestmark = pytest.mark.django_db

PAGE = "/activate/"
CHALLENGE = "/activate/detect/challenge"
PROOF = "/activate/detect/proof"
NO_MATCH = "This serial number and label code do not match a device."


def post_json(client: Client, url: str, data: dict[str, str]):
    return client.post(url, data, content_type="application/json")


def detect(client: Client, boxed: BoxedDevice, *, key: str | None = None):
    """What detect.js does, with the agent's part played here."""
    challenge = post_json(client, CHALLENGE, {"serial": boxed.serial}).json()["challenge"]
    return post_json(
        client,
        PROOF,
        {
            "serial": boxed.serial,
            "challenge": challenge,
            "signature": presence_sign(device_key=key or boxed.key, challenge=challenge),
        },
    )


def wizard(client: Client) -> Activation:
    return Activation.objects.get(pk=client.session[SESSION_KEY])


def test_it_offers_detection_and_the_label_form(client: Client) -> None:
    response = client.get(PAGE)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Step 1 of 7" in page
    assert "Detect device" in page
    assert 'data-agent-url="http://127.0.0.1:7447"' in page
    assert 'name="serial"' in page and 'name="label_code"' in page
    # No inline script: everything is in detect.js.
    assert "<script>" not in page and "<script src=" in page


def test_the_top_bar_leads_to_activation(client: Client, alice: Subscriber) -> None:
    assert 'href="/activate/">Activate<' in client.get("/accounts/login/").content.decode()
    client.force_login(alice.user)
    assert 'href="/activate/">Activate<' in client.get("/").content.decode()


def test_it_detects_a_device_by_its_signature(client: Client) -> None:
    boxed = make_boxed_device()

    response = detect(client, boxed)

    assert response.status_code == 200
    answer = response.json()
    assert answer["state"] == "detected"
    assert answer["serial"] == boxed.serial
    assert answer["model"] == "Plugline USB"
    assert answer["picture_url"].endswith("devices/plugline-usb.svg")
    assert answer["next_url"] == "/activate/purchase/"
    assert "Device Detected" in answer["html"] and boxed.serial in answer["html"]
    activation = wizard(client)
    assert activation.device == boxed.device
    assert activation.present_until is not None
    assert activation.present_until > timezone.now() + timedelta(minutes=50)
    # The page shows it too, when the customer comes back.
    page = client.get(PAGE).content.decode()
    assert "Device Detected" in page and boxed.serial in page


def test_it_binds_the_challenge_to_this_browsers_wizard(client: Client) -> None:
    boxed = make_boxed_device()
    challenge = post_json(client, CHALLENGE, {"serial": boxed.serial}).json()["challenge"]
    other_browser = Client()
    post_json(other_browser, CHALLENGE, {"serial": "PLG99999999"})

    response = post_json(
        other_browser,
        PROOF,
        {
            "serial": boxed.serial,
            "challenge": challenge,
            "signature": presence_sign(device_key=boxed.key, challenge=challenge),
        },
    )

    assert response.status_code == 400
    assert wizard(other_browser).device is None


def test_it_refuses_a_signature_by_another_key(client: Client) -> None:
    boxed = make_boxed_device()

    response = detect(client, boxed, key=device_key_generate())

    assert response.status_code == 400
    assert "We could not confirm that your device is plugged in" in response.json()["error"]
    assert wizard(client).device is None


def test_it_gives_an_unknown_serial_a_challenge_too(client: Client) -> None:
    response = post_json(client, CHALLENGE, {"serial": "PLG99999999"})

    assert response.status_code == 200
    assert set(response.json()) == {"challenge", "expires_at"}
    assert not DeviceChallenge.objects.exists()


def test_it_needs_the_csrf_token_for_detection() -> None:
    strict = Client(enforce_csrf_checks=True)
    boxed = make_boxed_device()

    response = post_json(strict, CHALLENGE, {"serial": boxed.serial})

    assert response.status_code == 403


def test_it_limits_challenges_per_serial(client: Client) -> None:
    boxed = make_boxed_device()
    statuses = [
        post_json(client, CHALLENGE, {"serial": boxed.serial}).status_code for _ in range(11)
    ]

    assert statuses == [200] * 10 + [429]
    assert (
        "Too many tries" in post_json(client, CHALLENGE, {"serial": boxed.serial}).json()["error"]
    )


def test_it_shows_when_the_device_is_on_someone_elses_account(
    client: Client, alice: Subscriber
) -> None:
    boxed = make_boxed_device(status=DeviceStatus.ACTIVE, owner=alice.user)

    answer = detect(client, boxed).json()

    assert answer["state"] == "owned_elsewhere"
    assert answer["next_url"] is None
    assert "This device is on someone else" in answer["html"]
    assert "Device Detected" not in answer["html"]


def test_it_shows_a_retired_device_cannot_be_activated(client: Client) -> None:
    boxed = make_boxed_device(status=DeviceStatus.RETIRED)

    answer = detect(client, boxed).json()

    assert answer["state"] == "retired"
    assert "This device can no longer be activated" in answer["html"]


def test_it_accepts_the_serial_and_label_code(client: Client) -> None:
    boxed = make_boxed_device()

    response = client.post(PAGE, {"serial": boxed.serial, "label_code": boxed.label_code})

    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert wizard(client).device == boxed.device
    page = client.get(PAGE).content.decode()
    assert "Device Detected" in page
    assert boxed.serial in page
    assert 'href="/activate/purchase/"' in page


def test_it_accepts_the_label_code_as_people_type_it(client: Client) -> None:
    boxed = make_boxed_device("PLG10000042")
    typed = f"{boxed.label_code[:4].lower()} {boxed.label_code[4:].lower()}"

    response = client.post(PAGE, {"serial": "plg10000042", "label_code": typed})

    assert response.status_code == 302
    assert wizard(client).device == boxed.device


def test_it_gives_one_message_for_a_wrong_code_and_an_unknown_serial(client: Client) -> None:
    boxed = make_boxed_device()

    wrong_code = client.post(PAGE, {"serial": boxed.serial, "label_code": "ABCD2345"})
    unknown = client.post(PAGE, {"serial": "PLG99999999", "label_code": boxed.label_code})

    for response in (wrong_code, unknown):
        assert response.status_code == 200
        assert NO_MATCH in response.content.decode()
    # What was typed is kept.
    assert f'value="{boxed.serial}"' in wrong_code.content.decode()
    assert 'value="ABCD2345"' in wrong_code.content.decode()
    assert SESSION_KEY not in client.session


def test_it_explains_missing_fields(client: Client) -> None:
    response = client.post(PAGE, {"serial": "", "label_code": ""})

    page = response.content.decode()
    assert page.count("This field is required.") == 2
    assert 'aria-describedby="id_serial_error"' in page or 'id="id_serial_error"' in page


def test_it_limits_label_code_tries_per_serial(client: Client) -> None:
    boxed = make_boxed_device()
    for _ in range(5):
        client.post(PAGE, {"serial": boxed.serial, "label_code": "ABCD2345"})

    # Even the right code is refused now: guessing cannot go on.
    response = client.post(PAGE, {"serial": boxed.serial, "label_code": boxed.label_code})

    assert response.status_code == 429
    assert "Too many tries. Wait a few minutes, then try again." in response.content.decode()
    assert f'value="{boxed.serial}"' in response.content.decode()
    assert SESSION_KEY not in client.session


def test_it_limits_label_code_tries_per_client_address(client: Client) -> None:
    statuses = [
        client.post(PAGE, {"serial": f"PLG5{n:07d}", "label_code": "ABCD2345"}).status_code
        for n in range(21)
    ]

    assert statuses == [200] * 20 + [429]
