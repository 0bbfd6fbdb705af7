"""Chains and stores in the operator's admin: found, corrected, checked like an import."""

from __future__ import annotations

import pytest

from plugline.stores.models import Store
from plugline.stores.tests.factories import make_chain, make_store

pytestmark = pytest.mark.django_db


def form_of(store: Store, **changes: str) -> dict[str, str]:
    values = {
        "chain": str(store.chain_id),
        "external_id": store.external_id,
        "name": store.name,
        "active": "on",
        "address_line1": store.address_line1,
        "address_line2": "",
        "city": store.city,
        "region": store.region,
        "postal_code": store.postal_code,
        "country": store.country,
        "latitude": str(store.latitude),
        "longitude": str(store.longitude),
        "phone": "",
        "opening_hours": "",
        "sells_devices": "on",
        "sells_reup_cards": "on",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value != "off"}


def test_it_finds_a_store_by_name_city_or_postal_code_written_either_way(staff_client):
    make_store(latitude=45.51, longitude=-73.57, name="Dépanneur Plateau", postal_code="H2X 1Y4")
    make_store(
        latitude=55.70,
        longitude=12.57,
        name="Kiosk Østerbro",
        city="København",
        postal_code="2100",
        country="DK",
        region="",
    )
    for term, found in [
        ("Plateau", "Dépanneur Plateau"),
        ("København", "Kiosk Østerbro"),
        ("h2x1y4", "Dépanneur Plateau"),
        ("H2X 1Y4", "Dépanneur Plateau"),
        ("2100", "Kiosk Østerbro"),
    ]:
        page = staff_client.get("/admin/stores/store/", {"q": term}).content.decode()
        assert found in page, term
        assert ({"Dépanneur Plateau", "Kiosk Østerbro"} - {found}).pop() not in page, term


def test_it_filters_stores_by_chain_country_and_what_they_sell(staff_client):
    kiosk = make_chain("kiosk24", "Kiosk 24")
    make_store(latitude=45.5, longitude=-73.5, name="Devices only", sells_reup_cards=False)
    make_store(
        latitude=55.7,
        longitude=12.5,
        name="Cards in DK",
        chain=kiosk,
        country="DK",
        postal_code="2100",
        sells_devices=False,
    )
    page = staff_client.get("/admin/stores/store/", {"sells_reup_cards__exact": "1"}).content
    assert b"Cards in DK" in page and b"Devices only" not in page
    page = staff_client.get("/admin/stores/store/", {"chain__id__exact": str(kiosk.pk)}).content
    assert b"Cards in DK" in page and b"Devices only" not in page
    page = staff_client.get("/admin/stores/store/", {"country": "CA"}).content
    assert b"Devices only" in page and b"Cards in DK" not in page


def test_it_saves_a_corrected_store_with_its_postal_code_key(staff_client):
    store = make_store(latitude=45.51, longitude=-73.57)
    response = staff_client.post(
        f"/admin/stores/store/{store.pk}/change/",
        form_of(store, postal_code="h2w 2m5", opening_hours="Mo-Fr  08:00-21:00; Su off"),
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.postal_code, store.postal_code_key) == ("H2W 2M5", "H2W2M5")
    assert store.opening_hours == "Mo-Fr 08:00-21:00; Su off"


def test_it_refuses_bad_coordinates_postal_code_and_hours_with_the_reasons(staff_client):
    store = make_store(latitude=45.51, longitude=-73.57, country="US", postal_code="10001")
    response = staff_client.post(
        f"/admin/stores/store/{store.pk}/change/",
        form_of(
            store,
            latitude="91",
            longitude="-200",
            postal_code="H2X 1Y4",
            opening_hours="weekdays 8 to 9",
            country="U1",
        ),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["latitude"] == ["Ensure this value is less than or equal to 90."]
    assert errors["longitude"] == ["Ensure this value is greater than or equal to -180."]
    assert errors["country"] == ["Enter the country's 2-letter code, like US, CA or DK."]
    assert errors["opening_hours"][0].startswith("Write opening hours like")
    store.refresh_from_db()
    assert store.latitude == 45.51

    response = staff_client.post(
        f"/admin/stores/store/{store.pk}/change/", form_of(store, postal_code="H2X 1Y4")
    )
    assert response.context["adminform"].form.errors["postal_code"] == [
        "Enter a ZIP code like 10001 or 10001-1234."
    ]


def test_it_counts_each_chains_stores_and_keeps_its_code(staff_client):
    chain = make_chain()
    make_store(latitude=45.5, longitude=-73.5, chain=chain)
    make_store(latitude=45.6, longitude=-73.5, chain=chain)
    page = staff_client.get("/admin/stores/retailchain/").content.decode()
    assert "CornerMart" in page
    assert '<td class="field-store_count">2</td>' in page
    response = staff_client.post(
        f"/admin/stores/retailchain/{chain.pk}/change/", {"code": "renamed", "name": "Corner Mart"}
    )
    assert response.status_code == 302
    chain.refresh_from_db()
    assert (chain.code, chain.name) == ("cornermart", "Corner Mart")
