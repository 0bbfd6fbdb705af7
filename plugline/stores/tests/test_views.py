""" "Find a store": search by city, postal code or location; distances in the reader's unit."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber
from plugline.stores.models import Store
from plugline.stores.search import distance_km
from plugline.stores.tests.factories import make_chain, make_store

PAGE = "/stores/"
DASH = "\u2013"  # an en dash, between days and between times
MONTREAL = (45.50884, -73.58781)  # where the city list places Montréal
COPENHAGEN = (55.67594, 12.56553)

pytestmark = pytest.mark.django_db


def names(page: str) -> list[str]:
    """The stores' names in the order of the list."""
    found = re.findall(r'<h3 class="store-name"><span[^>]*>\d+</span> ([^<]+)</h3>', page)
    return [html.unescape(name) for name in found]


def distances(page: str) -> list[str]:
    return [
        html.unescape(text) for text in re.findall(r'<dd class="store-distance">([^<]+)</dd>', page)
    ]


def map_data(page: str) -> dict:
    found = re.search(r'<script id="store-map-data" type="application/json">(.*?)</script>', page)
    assert found, "no map data on the page"
    return json.loads(found.group(1))


def get(client: Client, query: str, *, language: str = "en") -> str:
    client.cookies["plugline_language"] = language
    response = client.get(PAGE + query)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def montreal_stores() -> list[Store]:
    """Three stores north of Montréal's centre, given out of order, and one in Copenhagen."""
    chain = make_chain("depanneur-plus", "Dépanneur Plus")
    return [
        make_store(name="Rosemont", latitude=45.5600, longitude=-73.5878, chain=chain),
        make_store(name="Plateau", latitude=45.5200, longitude=-73.5878),
        make_store(name="Laval", latitude=45.6100, longitude=-73.5878, sells_devices=False),
        make_store(
            name="Nørrebro",
            latitude=55.6900,
            longitude=12.5500,
            city="København N",
            region="Hovedstaden",
            postal_code="2200",
            country="DK",
        ),
    ]


def test_it_needs_no_sign_in_and_is_in_the_main_menu(client: Client, alice: Subscriber) -> None:
    page = get(client, "")
    assert "<h1>Find a store</h1>" in page
    assert 'href="/stores/">Find a store</a>' in page
    client.force_login(alice.user)
    assert 'href="/stores/">Find a store</a>' in get(client, "")


def test_it_lists_the_nearest_stores_first_in_miles_in_english(
    client: Client, montreal_stores: list[Store]
) -> None:
    page = get(client, "?q=Montréal")
    assert "Stores near Montréal, QC, Canada" in page
    assert names(page) == ["Plateau", "Rosemont", "Laval"]
    # 1.24 km, 5.69 km and 11.25 km north of the city's centre.
    assert distances(page) == ["0.8 mi", "3.5 mi", "7.0 mi"]
    assert "3 stores, nearest first." in page
    assert "Dépanneur Plus" in page and "Nørrebro" not in page
    assert 'value="Montréal"' in page


@pytest.mark.parametrize("language", ["fr", "da"])
def test_it_gives_kilometres_with_the_languages_decimal_comma(
    client: Client, montreal_stores: list[Store], language: str
) -> None:
    page = get(client, "?q=montreal", language=language)
    assert names(page) == ["Plateau", "Rosemont", "Laval"]
    space = "\xa0" if language == "fr" else " "
    assert distances(page) == [f"1,2{space}km", f"5,7{space}km", f"11,2{space}km"]
    expected = distance_km(*MONTREAL, 45.5600, -73.5878)
    assert f"{expected:.1f}".replace(".", ",") == "5,7"


def test_it_finds_stores_by_a_zip_code(client: Client) -> None:
    make_store(
        name="Chelsea",
        latitude=40.7506,
        longitude=-73.9970,
        city="New York",
        region="NY",
        postal_code="10001",
        country="US",
    )
    make_store(
        name="Midtown",
        latitude=40.7549,
        longitude=-73.9840,
        city="New York",
        region="NY",
        postal_code="10036",
        country="US",
    )
    page = get(client, "?q=10001")
    assert "Stores near 10001, NY, United States" in page
    assert names(page) == ["Chelsea", "Midtown"]


def test_it_keeps_the_query_and_says_when_no_place_has_that_name(client: Client) -> None:
    page = get(client, "?q=Xyzzyville&sells=devices")
    assert (
        "We found no place called “Xyzzyville”. Check the spelling, or try a postal code." in page
    )
    # Tied to the field, which keeps what was typed; the filter is kept too.
    assert 'aria-describedby="id_q_error"' in page and 'id="id_q_error"' in page
    assert 'value="Xyzzyville"' in page
    assert re.search(r'value="devices" id="id_sells_1"[^>]* checked', page)
    assert 'class="stores"' not in page


def test_it_asks_for_a_place_when_the_field_is_empty(client: Client) -> None:
    response = client.get(PAGE + "?q=+&sells=")
    assert response.status_code == 400
    assert "Type a city or a postal code." in response.content.decode()


def test_a_link_can_choose_the_filter_before_anything_is_searched(client: Client) -> None:
    page = get(client, "?sells=reup_cards")

    assert re.search(r'<input[^>]*value="reup_cards"[^>]*checked', page)
    assert "Type a city or a postal code." not in page
    assert 'id="store-map-data"' not in page


def test_it_filters_by_what_the_store_sells(client: Client) -> None:
    make_store(name="Cards only", latitude=45.51, longitude=-73.58, sells_devices=False)
    make_store(name="Devices only", latitude=45.52, longitude=-73.58, sells_reup_cards=False)
    make_store(name="Both", latitude=45.53, longitude=-73.58)
    assert names(get(client, "?q=Montréal&sells=reup_cards")) == ["Cards only", "Both"]
    assert names(get(client, "?q=Montréal&sells=devices")) == ["Devices only", "Both"]
    assert names(get(client, "?q=Montréal&sells=")) == ["Cards only", "Devices only", "Both"]


def test_it_says_when_no_store_nearby_sells_that(client: Client) -> None:
    make_store(name="Devices only", latitude=45.52, longitude=-73.58, sells_reup_cards=False)
    page = get(client, "?q=Montréal&sells=reup_cards")
    assert names(page) == []
    assert "No store within 311 mi of Montréal, QC, Canada sells what you chose." in page
    page = get(client, "?q=Copenhagen")
    assert "There is no store within 311 mi of Copenhagen, Hovedstaden, Denmark." in page


def test_it_searches_near_the_browsers_location(
    client: Client, montreal_stores: list[Store]
) -> None:
    page = get(client, f"?q=&lat={COPENHAGEN[0]}&lon={COPENHAGEN[1]}&sells=")
    assert "Stores near your location" in page
    assert names(page) == ["Nørrebro"]
    assert map_data(page)["origin"] == {"lat": COPENHAGEN[0], "lon": COPENHAGEN[1]}


@pytest.mark.parametrize(
    "query", ["?lat=91&lon=12", "?lat=55.6&lon=", "?lat=nan&lon=12.5", "?lat=55&lon=east"]
)
def test_it_refuses_a_location_that_is_not_on_the_globe(
    client: Client, montreal_stores: list[Store], query: str
) -> None:
    response = client.get(PAGE + query)
    assert response.status_code == 400
    page = response.content.decode()
    assert "We could not use that location. Type a city or postal code instead." in page
    assert names(page) == []


def test_it_offers_the_other_places_with_the_same_name(client: Client) -> None:
    make_store(name="Pearl District", latitude=45.5270, longitude=-122.6820, country="US")
    make_store(name="Old Port", latitude=43.6570, longitude=-70.2540, country="US")
    page = get(client, "?q=Portland&sells=reup_cards")
    assert "Stores near Portland, OR, United States" in page
    assert names(page) == ["Pearl District"]
    assert "Did you mean:" in page
    link = "/stores/?q=Portland&amp;sells=reup_cards&amp;pick=1"
    assert f'<a href="{link}">Portland, ME, United States</a>' in page

    page = get(client, html.unescape(link).removeprefix(PAGE))
    assert "Stores near Portland, ME, United States" in page
    assert names(page) == ["Old Port"]
    assert "Portland, OR, United States</a>" in page


def test_it_shows_opening_hours_with_the_languages_day_names(client: Client) -> None:
    store = make_store(name="Plateau", latitude=45.52, longitude=-73.58)
    Store.objects.filter(pk=store.pk).update(
        opening_hours="Mo-Fr 08:00-21:00; Sa 09:00-18:00; Su off"
    )
    page = get(client, "?q=Montréal")
    assert f'<span class="hours-days">Mon{DASH}Fri</span> 8 a.m.{DASH}9 p.m.' in page
    assert f'<span class="hours-days">Sat</span> 9 a.m.{DASH}6 p.m.' in page
    assert '<span class="hours-days">Sun</span> Closed' in page
    page = get(client, "?q=Montréal", language="fr")
    assert f'<span class="hours-days">lun.{DASH}ven.</span> 08:00{DASH}21:00' in page
    page = get(client, "?q=Montréal", language="da")
    assert f'<span class="hours-days">man.{DASH}fre.</span> 08:00{DASH}21:00' in page


def test_the_map_gets_the_stores_in_the_lists_order(
    client: Client, montreal_stores: list[Store]
) -> None:
    data = map_data(get(client, "?q=Montréal"))
    assert [(s["number"], s["label"]) for s in data["stores"]] == [
        (1, "Store 1: Plateau"),
        (2, "Store 2: Rosemont"),
        (3, "Store 3: Laval"),
    ]
    assert data["outline"] == "/static/vendor/world-atlas/countries-50m.json"
    assert data["tiles"] is None


@override_settings(
    STORE_MAP_TILE_URL="https://tiles.example.com/{z}/{x}/{y}.png",
    STORE_MAP_TILE_ATTRIBUTION="© Example tiles",
)
def test_the_map_uses_the_tile_layer_an_operator_configured(
    client: Client, montreal_stores: list[Store]
) -> None:
    data = map_data(get(client, "?q=Montréal"))
    assert data["tiles"] == {
        "url": "https://tiles.example.com/{z}/{x}/{y}.png",
        "attribution": "© Example tiles",
    }


def test_it_makes_as_many_queries_for_nine_stores_as_for_two(client: Client) -> None:
    chains = [make_chain(f"chain-{n}", f"Chain {n}") for n in range(9)]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert get(client, "?q=Montréal")
        return len(captured)

    for n in range(2):
        make_store(latitude=45.51 + n / 100, longitude=-73.58, chain=chains[n])
    few = queries()
    for n in range(2, 9):
        make_store(latitude=45.51 + n / 100, longitude=-73.58, chain=chains[n])
    assert len(names(get(client, "?q=Montréal"))) == 9
    assert queries() == few
