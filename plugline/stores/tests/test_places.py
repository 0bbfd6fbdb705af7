"""Finding a place offline: cities by name (any case or accent), postal codes by the stores'."""

from __future__ import annotations

import pytest

from plugline.stores.places import CITIES_FILE, Place, _CityIndex, place_find
from plugline.stores.tests.factories import make_store


def names(query, **kwargs):
    return [(p.name, p.region, p.country) for p in place_find(query, **kwargs)]


def test_it_reads_the_bundled_city_list_with_montreal_and_copenhagen():
    index = _CityIndex(CITIES_FILE)
    assert len({id(city) for entries in index.names.values() for _, city in entries}) > 9000
    [montreal] = place_find("Montréal", limit=1)
    assert montreal == Place("Montréal", "QC", "CA", 45.50884, -73.58781, "city")
    [copenhagen] = place_find("Copenhagen", limit=1)
    assert (copenhagen.country, round(copenhagen.latitude, 1), round(copenhagen.longitude, 1)) == (
        "DK",
        55.7,
        12.6,
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Montreal", ("Montréal", "QC", "CA")),
        ("montréal", ("Montréal", "QC", "CA")),
        ("  MONTRÉAL ", ("Montréal", "QC", "CA")),
        ("Levis", ("Lévis", "QC", "CA")),
        ("Laval", ("Laval", "QC", "CA")),
        ("Saint-Jerome", ("Saint-Jérôme", "QC", "CA")),
        ("Toronto", ("Toronto", "ON", "CA")),
        ("Kobenhavn", ("Copenhagen", "Hovedstaden", "DK")),
        ("KØBENHAVN", ("Copenhagen", "Hovedstaden", "DK")),
        ("Aarhus", ("Aarhus", "Midtjylland", "DK")),
        ("Århus", ("Aarhus", "Midtjylland", "DK")),
        ("Odense", ("Odense", "Syddanmark", "DK")),
        ("roskilde", ("Roskilde", "Sjælland", "DK")),
        ("new york", ("New York City", "NY", "US")),
        ("New York City", ("New York City", "NY", "US")),
        ("NYC", ("New York City", "NY", "US")),
        ("Chicago", ("Chicago", "IL", "US")),
    ],
)
def test_it_finds_a_city_whatever_the_case_and_accents(query, expected):
    assert names(query)[0] == expected


def test_it_puts_the_most_populous_city_of_a_name_first():
    springfields = names("Springfield", limit=10)
    assert springfields[:2] == [("Springfield", "MO", "US"), ("Springfield", "MA", "US")]
    assert len(springfields) == 10
    # A city's own name comes before another city's alternate name.
    assert names("Quebec")[0] == ("Québec", "QC", "CA")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Springfield, IL", [("Springfield", "IL", "US")]),
        ("London, Canada", [("London", "ON", "CA")]),
        ("Laval, QC", [("Laval", "QC", "CA")]),
        ("Montreal, Québec", [("Montréal", "QC", "CA")]),
        ("Roskilde, DK", [("Roskilde", "Sjælland", "DK")]),
        ("Roskilde, US", []),
        ("Los Angeles, CA", [("Los Angeles", "CA", "US")]),
        ("Montréal QC", [("Montréal", "QC", "CA")]),
        ("Springfield   Illinois", [("Springfield", "IL", "US")]),
        ("Portland, Oregon", [("Portland", "OR", "US")]),
        ("Roskilde DK", [("Roskilde", "Sjælland", "DK")]),
    ],
)
def test_it_narrows_a_city_to_the_region_or_country_after_a_comma(query, expected):
    assert names(query, limit=3) == expected


@pytest.mark.parametrize("query", ["", "   ", "Atlantis", "x" * 101, "Montréal" * 20])
def test_it_finds_nothing_for_an_unknown_or_overlong_query(query):
    assert place_find(query) == []


@pytest.mark.django_db
def test_it_places_a_us_zip_code_at_its_stores_or_else_their_first_three_digits():
    make_store(latitude=40.750, longitude=-73.997, postal_code="10001", country="US", region="NY")
    make_store(
        latitude=40.752, longitude=-73.993, postal_code="10001-2062", country="US", region="NY"
    )
    make_store(latitude=40.716, longitude=-73.986, postal_code="10002", country="US", region="NY")
    make_store(
        latitude=40.760,
        longitude=-73.980,
        postal_code="10001",
        country="US",
        region="NY",
        active=False,
    )

    [exact] = place_find("10001")
    assert (exact.name, exact.region, exact.country, exact.kind) == (
        "10001",
        "NY",
        "US",
        "postal_code",
    )
    assert (exact.latitude, exact.longitude) == (pytest.approx(40.750), pytest.approx(-73.997))
    [plus4] = place_find("10001-2062")
    assert (plus4.name, plus4.latitude) == ("10001-2062", pytest.approx(40.752))
    [same_zip] = place_find("10001-9999")
    assert same_zip.latitude == pytest.approx((40.750 + 40.752) / 2)
    [prefix] = place_find("10025")
    assert prefix.latitude == pytest.approx((40.750 + 40.752 + 40.716) / 3)
    assert place_find("90210") == []


@pytest.mark.django_db
def test_it_places_a_canadian_postal_code_at_its_stores_or_else_their_fsa():
    make_store(latitude=45.510, longitude=-73.570, postal_code="H2X 1Y4")
    make_store(latitude=45.520, longitude=-73.580, postal_code="H2X 3V8")
    make_store(latitude=43.650, longitude=-79.380, postal_code="M5V 2T6", region="ON")

    [exact] = place_find("h2x1y4")
    assert (exact.name, exact.region, exact.country) == ("H2X 1Y4", "QC", "CA")
    assert exact.latitude == pytest.approx(45.510)
    [fsa] = place_find("H2X 9Z9")
    assert fsa.latitude == pytest.approx(45.515)
    [fsa_only] = place_find("M5V")
    assert (fsa_only.name, fsa_only.region, fsa_only.latitude) == (
        "M5V",
        "ON",
        pytest.approx(43.65),
    )
    assert place_find("K1A 0B1") == []


@pytest.mark.django_db
def test_it_places_a_danish_postal_code_at_its_stores_or_else_their_first_two_digits():
    make_store(
        latitude=55.700, longitude=12.550, postal_code="2100", country="DK", region="Hovedstaden"
    )
    make_store(
        latitude=55.690, longitude=12.540, postal_code="2150", country="DK", region="Hovedstaden"
    )
    make_store(
        latitude=55.720, longitude=12.500, postal_code="2200", country="DK", region="Hovedstaden"
    )
    # A 4-digit code is Danish: a US store with "2100" in its code does not count.
    make_store(latitude=40.0, longitude=-75.0, postal_code="02100", country="US")

    [exact] = place_find("DK-2100")
    assert (exact.name, exact.country, exact.latitude) == ("2100", "DK", pytest.approx(55.700))
    [prefix] = place_find("2199")
    assert prefix.latitude == pytest.approx(55.695)
    assert place_find("8000") == []
