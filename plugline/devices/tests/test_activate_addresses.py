"""Step 4 of the activation wizard: the contact address and the device's E911 address."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Subscriber
from plugline.accounts.models import User
from plugline.devices.tests.wizard_factory import NEW_YORK, TORONTO, fresh, wizard_at

ADDRESSES = "/activate/addresses/"
NUMBER = "/activate/number/"

pytestmark = pytest.mark.django_db


def fields(prefix: str, address: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}_{name}": value for name, value in address.items()}


def test_it_explains_e911_in_one_sentence(client: Client):
    wizard_at(client, "addresses")
    page = client.get(ADDRESSES).content.decode()
    assert "Step 4 of 7" in page
    assert "The E911 address is where emergency services are sent when someone calls 911" in page
    assert '<option value="DK">Denmark</option>' in page


def test_it_uses_the_contact_address_for_e911_when_ticked(client: Client):
    activation = wizard_at(client, "addresses")
    response = client.post(
        ADDRESSES,
        {
            **fields("contact", {**NEW_YORK, "country_area": "new york", "postal_code": "10118"}),
            "e911_same": "on",
        },
    )
    assert response["Location"] == NUMBER
    activation = fresh(activation)
    assert activation.contact_address["country_area"] == "NY"
    assert activation.e911_address == activation.contact_address


def test_it_keeps_a_separate_e911_address_checked_for_its_country(client: Client):
    activation = wizard_at(client, "addresses")
    response = client.post(
        ADDRESSES,
        {**fields("contact", NEW_YORK), **fields("e911", {**TORONTO, "postal_code": "m5h2n2"})},
    )
    assert response["Location"] == NUMBER
    activation = fresh(activation)
    assert activation.e911_address["postal_code"] == "M5H 2N2"
    assert activation.e911_address["country"] == "CA"
    assert activation.contact_address["city"] == "New York"


def test_it_explains_a_bad_e911_postal_code_by_the_field_and_keeps_what_was_typed(
    client: Client,
):
    activation = wizard_at(client, "addresses")
    response = client.post(
        ADDRESSES,
        {**fields("contact", NEW_YORK), **fields("e911", {**TORONTO, "postal_code": "12345"})},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a Canadian postal code of 6 letters and digits, such as H3Z 2Y7." in page
    assert 'id="id_e911_postal_code_error"' in page
    assert 'value="100 Queen St W"' in page
    assert 'value="350 Fifth Avenue"' in page
    assert fresh(activation).e911_address == {}


def test_it_needs_an_e911_address(client: Client):
    wizard_at(client, "addresses")
    page = client.post(ADDRESSES, fields("contact", NEW_YORK)).content.decode()
    assert 'id="id_e911_same_error"' in page
    assert "Tick the box if the device is used at your contact address, or give" in page


def test_it_explains_what_is_missing_in_the_e911_address(client: Client):
    wizard_at(client, "addresses")
    page = client.post(
        ADDRESSES,
        {**fields("contact", NEW_YORK), **fields("e911", {**NEW_YORK, "street_address": ""})},
    ).content.decode()
    assert 'id="id_e911_street_address_error"' in page
    assert "Enter the street address: number and street." in page


def test_it_needs_a_contact_address(client: Client):
    wizard_at(client, "addresses")
    page = client.post(ADDRESSES, {"e911_same": "on"}).content.decode()
    assert 'id="id_contact_country_error"' in page


def test_it_fills_in_the_profiles_address_for_an_existing_account(
    client: Client, alice: Subscriber
):
    User.objects.filter(pk=alice.user.pk).update(**TORONTO)
    wizard_at(client, "addresses", user=alice.user)
    client.force_login(alice.user)
    page = client.get(ADDRESSES).content.decode()
    assert 'value="100 Queen St W"' in page
    assert '<option value="CA" selected>' in page


def test_it_shows_the_answers_given_before(client: Client):
    activation = wizard_at(client, "number")
    activation.e911_address = dict(TORONTO)
    activation.save()
    page = client.get(ADDRESSES).content.decode()
    assert 'name="e911_street_address" value="100 Queen St W"' in page
    assert 'name="contact_street_address" value="350 Fifth Avenue"' in page
    assert 'name="e911_same" id="id_e911_same" checked' not in page
