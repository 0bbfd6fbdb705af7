"""The demo's store list: imports cleanly, again without change, and answers the demo searches."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from plugline.stores.importing import DEMO_STORES, demo_stores_import
from plugline.stores.models import Store
from plugline.stores.places import place_find
from plugline.stores.search import stores_near

pytestmark = pytest.mark.django_db


def test_it_imports_a_few_hundred_stores_in_three_countries_and_changes_nothing_again():
    report = demo_stores_import()
    assert 300 <= report.counts["created"] <= 400
    countries = Counter(Store.objects.values_list("country", flat=True))
    assert set(countries) == {"US", "CA", "DK"}
    assert min(countries.values()) >= 50
    assert Store.objects.filter(sells_devices=True).exists()
    assert Store.objects.filter(sells_devices=False, sells_reup_cards=True).exists()

    again = demo_stores_import()
    assert again.counts["created"] == again.counts["updated"] == 0
    assert again.counts["unchanged"] == report.counts["created"]


@pytest.mark.parametrize(
    ("query", "city"),
    [
        ("Montréal", "Montréal"),
        ("Copenhagen", "København"),
        ("10001", "New York"),
        ("60601", "Chicago"),
        ("H2X 1Y4", "Montréal"),
        ("2100", "København"),
        ("Roskilde", "Roskilde"),
        ("Lévis", "Lévis"),
    ],
)
def test_it_finds_demo_stores_near_the_demo_searches(query, city):
    demo_stores_import()
    place = place_find(query)[0]
    hits = stores_near(place.latitude, place.longitude, limit=5)
    assert len(hits) == 5
    assert hits[0].store.city == city
    assert hits[0].distance_km < 3


def test_it_keeps_the_columns_the_readme_documents():
    with DEMO_STORES.open(encoding="utf-8") as file:
        header = next(csv.reader(file))
    assert header[:3] == ["chain_code", "chain_name", "store_number"]
    assert "opening_hours" in header
