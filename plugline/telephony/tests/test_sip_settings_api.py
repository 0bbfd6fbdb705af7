"""The device fetches its SIP settings through the signed device API."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from conftest import make_subscriber
from plugline.devices.keys import device_key_generate, presence_sign
from plugline.devices.tests.presence_factory import make_boxed_device
from plugline.telephony.models import SipAccount
from plugline.telephony.tests.sip_factory import API, fetch_sip_settings, make_line, signed

pytestmark = pytest.mark.django_db


def test_it_gives_the_device_its_sip_settings_that_match_what_kamailio_checks(
    client: Client, settings
):
    settings.SIP_DOMAIN = "sip.example.net"
    settings.SIP_PROXY = "proxy.example.net:5060"
    settings.SIP_TRANSPORT = "tcp"
    line = make_line(make_subscriber(numbers=()).user)

    response = fetch_sip_settings(client, line.boxed)

    assert response.status_code == 200
    sip = response.json()
    assert {key: sip[key] for key in ("username", "domain", "proxy", "transport")} == {
        "username": "12125550147",
        "domain": "sip.example.net",
        "proxy": "proxy.example.net:5060",
        "transport": "tcp",
    }
    ha1 = hashlib.md5(
        f"12125550147:sip.example.net:{sip['password']}".encode(), usedforsecurity=False
    ).hexdigest()
    assert SipAccount.objects.get().ha1 == ha1


def test_it_gives_the_same_password_every_time_until_rotated(client: Client):
    line = make_line(make_subscriber(numbers=()).user)

    first = fetch_sip_settings(client, line.boxed).json()["password"]
    again = fetch_sip_settings(client, line.boxed).json()["password"]

    assert first == again


def test_it_refuses_sip_settings_to_a_device_not_on_an_account(client: Client):
    boxed = make_boxed_device("PLS10000009")

    response = fetch_sip_settings(client, boxed)

    assert response.status_code == 404
    assert "no phone line yet" in response.json()["detail"]
    assert "password" not in response.json()


def test_it_refuses_sip_settings_to_a_signature_of_another_key(client: Client):
    line = make_line(make_subscriber(numbers=()).user)
    body = signed(client, line.boxed)
    body["signature"] = presence_sign(device_key=device_key_generate(), challenge=body["challenge"])

    response = client.post(f"{API}/sip", body, content_type="application/json")

    assert response.status_code == 403
    assert "password" not in response.json()


def test_it_refuses_a_challenge_used_once_already(client: Client):
    line = make_line(make_subscriber(numbers=()).user)
    body = signed(client, line.boxed)
    assert client.post(f"{API}/sip", body, content_type="application/json").status_code == 200

    replayed = client.post(f"{API}/sip", body, content_type="application/json")

    assert replayed.status_code == 403


def test_it_answers_in_the_language_asked(client: Client):
    boxed = make_boxed_device("PLS10000009")

    response = client.post(
        f"{API}/sip",
        signed(client, boxed),
        content_type="application/json",
        headers={"accept-language": "fr"},
    )

    assert response.status_code == 404
    assert "no phone line yet" not in response.json()["detail"]
