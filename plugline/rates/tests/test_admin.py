# ruff: noqa: RUF001 -- French text uses the typographic apostrophe
"""The rate deck in the operator's admin: found by prefix or name, read only, in three languages."""

from __future__ import annotations

import pytest
from django.test import Client

from plugline.accounts.models import User
from plugline.rates.models import Rate
from plugline.rates.tests.factories import make_rate

pytestmark = pytest.mark.django_db


def test_it_finds_a_rate_by_prefix_written_as_a_number_or_by_destination(staff_client: Client):
    make_rate("4420", destination="United Kingdom - London", price_per_minute=1)
    make_rate("33", destination="France", destination_fr="France", increments=(30, 6))
    for term, found, other in [
        ("+44 20", "United Kingdom - London", "France"),
        ("442", "United Kingdom - London", "France"),
        ("France", "France", "United Kingdom - London"),
    ]:
        page = staff_client.get("/admin/rates/rate/", {"q": term}).content.decode()
        assert found in page, term
        assert other not in page, term
    listing = staff_client.get("/admin/rates/rate/").content.decode()
    assert "$0.01" in listing
    assert "Minimum 30 seconds, then in steps of 6 seconds" in listing


def test_it_lets_staff_read_a_rate_but_not_change_add_or_delete_one(staff_client: Client):
    rate = make_rate("33", destination="France", price_per_minute=3)
    page = staff_client.get(f"/admin/rates/rate/{rate.pk}/change/")
    assert page.status_code == 200
    assert 'name="price_per_minute"' not in page.content.decode()
    staff_client.post(f"/admin/rates/rate/{rate.pk}/change/", {"price_per_minute": "0"})
    assert staff_client.get("/admin/rates/rate/add/").status_code == 403
    assert (
        staff_client.post(f"/admin/rates/rate/{rate.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    rate.refresh_from_db()
    assert rate.price_per_minute == 3
    assert Rate.objects.count() == 1


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("fr", ["Tarifs d’appel", "Préfixe", "Prix par minute", "Frais de connexion"]),
        ("da", ["Opkaldspriser", "Præfiks", "Pris pr. minut", "Opkaldsafgift"]),
    ],
)
def test_it_shows_the_rates_admin_in_the_staff_members_language(
    staff_client: Client, staff: User, language: str, labels: list[str]
):
    make_rate("33", destination="France")
    staff.language = language
    staff.save(update_fields=["language"])
    page = staff_client.get("/admin/rates/rate/").content.decode()
    for label in labels:
        assert label in page, label
