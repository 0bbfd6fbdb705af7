"""The portal says plainly when the phone line is not running on this server (`make run`
without Kamailio), on My account and on the device's page, in the subscriber's language."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from conftest import Subscriber, make_subscriber

pytestmark = pytest.mark.django_db

OFF_EN = "The phone line is not running on this server"
OFF_FR = "La ligne téléphonique ne fonctionne pas sur ce serveur"
OFF_DA = "Telefonlinjen kører ikke på denne server"


def pages(subscriber: Subscriber) -> list[str]:
    device = subscriber.devices[0]
    return [reverse("portal:home"), reverse("portal:device", args=[device.serial])]


@override_settings(KAMAILIO_RPC_URL="")
def test_it_says_the_phone_line_is_off_on_my_account_and_the_device_page(
    alice: Subscriber, client: Client
):
    client.force_login(alice.user)
    for url in pages(alice):
        response = client.get(url)
        assert response.status_code == 200
        assert OFF_EN in response.content.decode(), url


@override_settings(KAMAILIO_RPC_URL="http://127.0.0.1:5064/RPC")
def test_it_says_nothing_about_the_phone_line_when_kamailio_runs(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    for url in pages(alice):
        response = client.get(url)
        assert response.status_code == 200
        assert OFF_EN not in response.content.decode(), url


@override_settings(KAMAILIO_RPC_URL="")
@pytest.mark.parametrize(("language", "notice"), [("fr", OFF_FR), ("da", OFF_DA)])
def test_it_says_the_phone_line_is_off_in_french_and_danish(
    client: Client, language: str, notice: str
):
    subscriber = make_subscriber(
        f"{language}@example.com", numbers=("+12125550190",), language=language
    )
    client.force_login(subscriber.user)
    for url in pages(subscriber):
        assert notice in client.get(url).content.decode(), url
