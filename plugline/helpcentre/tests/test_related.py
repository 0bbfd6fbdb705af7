"""Help articles offered where people get stuck: a device not detected, a card declined,
a Re-Up PIN refused, and nowhere else on those pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_subscriber
from plugline.billing.tests.factories import (
    CARD_DECLINED_WHEN_CHARGED,
    card_on_file,
    plan_make,
    sandbox_reset,
    subscription_make,
)
from plugline.helpcentre.seeding import help_articles_seed
from plugline.helpcentre.tests.factories import make_article

pytestmark = pytest.mark.django_db

USB_TIP = '<a href="/help/troubleshooting/device-does-not-start/">'
RENEW = '<a href="/help/renewal/renew-your-service/">'


def _related(page: str) -> str:
    match = re.search(r'<aside class="help-related".*?</aside>', page, re.DOTALL)
    return match.group(0) if match else ""


def test_it_offers_the_usb_tip_when_the_device_is_not_detected(client: Client):
    help_articles_seed()
    page = client.get("/activate/").content.decode()
    # Shown by detect.js with "We could not find your device", hidden until then.
    assert '<div id="detect-help" hidden>' in page
    assert USB_TIP in page
    refused = client.post(
        "/activate/", {"serial": "PLG99999999", "label_code": "ABCD2345"}
    ).content.decode()
    form_part = refused[refused.index('id="label-heading"') :]
    assert USB_TIP in _related(form_part)
    assert "Activate your device" in _related(form_part)


def test_it_offers_the_articles_in_the_readers_language(client: Client):
    help_articles_seed()
    page = client.post(
        "/activate/",
        {"serial": "PLG99999999", "label_code": "ABCD2345"},
        headers={"accept-language": "fr"},
    ).content.decode()
    assert "Ces articles peuvent vous aider\u00a0:" in page
    assert "L’appareil ne démarre pas avec l’ordinateur</a>" in page  # noqa: RUF001


def test_it_offers_at_most_three_articles(client: Client):
    for n in range(5):
        make_article(f"stuck-{n}", topics=("device-not-detected",))
    page = client.get("/activate/").content.decode()
    assert _related(page).count("<li>") == 3


def test_it_offers_help_when_a_card_is_declined_and_not_before(client: Client):
    help_articles_seed()
    sandbox_reset()
    dana = make_subscriber("dana@example.com")
    plan_make("year", 12, 4999)
    subscription_make(dana.devices[0], days_left=20)
    card = card_on_file(dana.user, CARD_DECLINED_WHEN_CHARGED)
    client.force_login(dana.user)
    client.post(reverse("checkout:renew"), {"device": dana.devices[0].serial, "plan": "year"})
    page = client.get(reverse("checkout:checkout")).content.decode()
    assert _related(page) == ""
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    total = re.search(r'name="total" value="([^"]+)"', page)
    assert key and total
    declined = client.post(
        reverse("checkout:checkout"),
        {"card": card.pk, "idempotency_key": key.group(1), "total": total.group(1)},
    ).content.decode()
    assert "Your card was declined." in declined
    assert RENEW in _related(declined)


def test_it_offers_help_when_a_reup_pin_is_refused_and_not_before(client: Client):
    help_articles_seed()
    alice = make_subscriber()
    subscription_make(alice.devices[0], days_left=20)
    client.force_login(alice.user)
    assert _related(client.get("/account/reup/").content.decode()) == ""
    page = client.post(
        "/account/reup/", {"pin": "1234 5678 9012 3456", "device": alice.devices[0].serial}
    ).content.decode()
    assert "This PIN can&#x27;t be used." in page
    assert RENEW in _related(page)
