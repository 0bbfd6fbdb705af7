"""Nearest stores: the same answer as measuring every store, in a bounded number of queries."""

from __future__ import annotations

import random

import pytest

from plugline.stores.models import Store
from plugline.stores.search import distance_km, stores_near
from plugline.stores.tests.factories import make_store

pytestmark = pytest.mark.django_db

MONTREAL = (45.50884, -73.58781)
COPENHAGEN = (55.67594, 12.56553)


def brute_force(latitude, longitude, *, sells=None, limit=10, max_km=None):
    stores = Store.objects.filter(active=True)
    if sells == "devices":
        stores = stores.filter(sells_devices=True)
    elif sells == "reup_cards":
        stores = stores.filter(sells_reup_cards=True)
    measured = sorted(
        (distance_km(latitude, longitude, s.latitude, s.longitude), s.pk) for s in stores
    )
    if max_km is not None:
        measured = [m for m in measured if m[0] <= max_km]
    return measured[:limit]


def random_stores(rng: random.Random, n: int) -> None:
    for _ in range(n):
        centre = rng.choice([MONTREAL, COPENHAGEN, (40.7128, -74.006), (64.0, -150.0)])
        spread = rng.choice([0.05, 0.5, 5.0])
        make_store(
            latitude=max(-90, min(90, centre[0] + rng.uniform(-spread, spread))),
            longitude=centre[1] + rng.uniform(-spread, spread),
            sells_devices=rng.random() < 0.5,
            sells_reup_cards=rng.random() < 0.7,
            active=rng.random() < 0.9,
        )


def test_it_finds_the_same_nearest_stores_as_measuring_every_store():
    rng = random.Random(6)
    random_stores(rng, 300)
    for _ in range(40):
        centre = rng.choice([MONTREAL, COPENHAGEN, (40.7128, -74.006), (0.0, 0.0), (-33.9, 151.2)])
        lat = centre[0] + rng.uniform(-3, 3)
        lon = centre[1] + rng.uniform(-3, 3)
        sells = rng.choice([None, "devices", "reup_cards"])
        limit = rng.choice([1, 5, 10, 25])
        max_km = rng.choice([None, None, 5.0, 150.0])
        hits = stores_near(lat, lon, sells=sells, limit=limit, max_km=max_km)
        expected = brute_force(lat, lon, sells=sells, limit=limit, max_km=max_km)
        assert [hit.store.pk for hit in hits] == [pk for _, pk in expected]
        assert [hit.distance_km for hit in hits] == pytest.approx([d for d, _ in expected])


def test_it_lists_the_nearest_first_and_only_what_the_store_sells():
    near = make_store(latitude=45.51, longitude=-73.58, name="Near", sells_reup_cards=False)
    middle = make_store(latitude=45.55, longitude=-73.60, name="Middle")
    far = make_store(latitude=46.81, longitude=-71.21, name="Far", sells_devices=False)
    make_store(latitude=45.509, longitude=-73.588, name="Closed", active=False)

    everything = stores_near(*MONTREAL)
    assert [hit.store.name for hit in everything] == ["Near", "Middle", "Far"]
    assert everything[2].distance_km == pytest.approx(233, abs=5)
    assert [hit.store for hit in stores_near(*MONTREAL, sells="reup_cards")] == [middle, far]
    assert [hit.store for hit in stores_near(*MONTREAL, sells="devices")] == [near, middle]
    assert [hit.store for hit in stores_near(*MONTREAL, limit=2)] == [near, middle]
    assert [hit.store for hit in stores_near(*MONTREAL, max_km=50)] == [near, middle]


def test_it_finds_stores_across_the_antimeridian_and_near_a_pole():
    east = make_store(latitude=65.0, longitude=179.9)
    west = make_store(latitude=65.0, longitude=-179.9)
    make_store(latitude=65.0, longitude=170.0)
    assert {hit.store for hit in stores_near(65.0, 180.0, limit=2)} == {east, west}
    polar = make_store(latitude=89.9, longitude=100.0)
    assert stores_near(90.0, -80.0, limit=1)[0].store == polar
    assert stores_near(95.0, 500.0, limit=1)[0].store == polar  # Clamped and wrapped.


def test_it_finds_nothing_without_stores_and_refuses_an_unknown_filter():
    assert stores_near(*MONTREAL) == []
    with pytest.raises(ValueError):
        stores_near(*MONTREAL, sells="bread")


@pytest.mark.parametrize("stores", [3, 30])
def test_it_asks_the_database_twice_however_many_stores_it_returns(
    stores, django_assert_num_queries
):
    for n in range(stores):
        make_store(latitude=MONTREAL[0] + n * 0.001, longitude=MONTREAL[1])
    with django_assert_num_queries(2):
        hits = stores_near(*MONTREAL, limit=stores)
        assert [hit.store.chain.name for hit in hits] == ["CornerMart"] * stores


def test_it_asks_at_most_twelve_queries_when_the_nearest_store_is_far_away(
    django_assert_max_num_queries,
):
    make_store(latitude=-45.0, longitude=170.0)
    with django_assert_max_num_queries(12):
        assert len(stores_near(*COPENHAGEN)) == 1
