"""Which upgrade offers apply to a device: its age, its model, the dates, its owner."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import Subscriber
from plugline.devices.models import DeviceModel
from plugline.devices.services import device_model_default
from plugline.upgrades.models import UpgradeOffer
from plugline.upgrades.selectors import full_years_between, upgrade_offers_for_device
from plugline.upgrades.tests.factories import make_model, make_offer, make_old

pytestmark = pytest.mark.django_db


def test_it_offers_the_upgrade_only_to_devices_old_enough(alice: Subscriber):
    offer = make_offer(min_age_years=3)
    device = make_old(alice.devices[0], years=2)
    assert upgrade_offers_for_device(user=alice.user, device=device) == []
    device = make_old(device, years=3)
    assert upgrade_offers_for_device(user=alice.user, device=device) == [offer]


def test_it_offers_the_upgrade_only_to_the_models_it_names(alice: Subscriber):
    other = DeviceModel.objects.create(code="plugline-mini", name="Plugline Mini")
    only_mini = make_offer(eligible=[other])
    for_usb = make_offer(eligible=[device_model_default(), other], price=3999)
    device = make_old(alice.devices[0], years=0)
    assert upgrade_offers_for_device(user=alice.user, device=device) == [for_usb]
    assert only_mini.pk != for_usb.pk


def test_it_needs_both_the_age_and_the_model_when_the_offer_says_both(alice: Subscriber):
    offer = make_offer(min_age_years=2, eligible=[device_model_default()])
    device = make_old(alice.devices[0], years=1)
    assert upgrade_offers_for_device(user=alice.user, device=device) == []
    device = make_old(device, years=2)
    assert upgrade_offers_for_device(user=alice.user, device=device) == [offer]


def test_it_offers_nothing_before_or_after_the_offers_dates(alice: Subscriber):
    now = timezone.now()
    make_offer(valid_from=now + dt.timedelta(days=1))
    make_offer(valid_from=now - dt.timedelta(days=10), valid_until=now - dt.timedelta(days=1))
    current = make_offer(valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(1))
    assert upgrade_offers_for_device(user=alice.user, device=alice.devices[0]) == [current]


def test_it_never_offers_a_device_its_own_model(alice: Subscriber):
    make_offer(model=device_model_default())
    assert upgrade_offers_for_device(user=alice.user, device=alice.devices[0]) == []


def test_it_offers_nothing_for_someone_elses_device(alice: Subscriber, bob: Subscriber):
    make_offer()
    assert upgrade_offers_for_device(user=bob.user, device=alice.devices[0]) == []


def test_it_reads_the_offers_in_one_query_however_many_there_are(alice: Subscriber):
    models = [make_model(f"model-{n}") for n in range(5)]
    for model in models:
        make_offer(model=model, eligible=[device_model_default(), *models])
    with CaptureQueriesContext(connection) as queries:
        offers = upgrade_offers_for_device(user=alice.user, device=alice.devices[0])
        names = [offer.model.name for offer in offers]
    assert len(names) == 5
    assert len(queries) == 1


def test_it_counts_whole_years_like_birthdays():
    assert full_years_between(dt.date(2020, 2, 29), dt.date(2023, 2, 28)) == 2
    assert full_years_between(dt.date(2020, 2, 29), dt.date(2023, 3, 1)) == 3
    assert full_years_between(dt.date(2023, 5, 1), dt.date(2023, 4, 1)) == 0


def test_staff_create_an_offer_in_the_admin(staff_client: Client):
    model = make_model()
    add = staff_client.get("/admin/upgrades/upgradeoffer/add/")
    assert add.status_code == 200
    response = staff_client.post(
        "/admin/upgrades/upgradeoffer/add/",
        {
            "name": "Spring upgrade",
            "model": model.pk,
            "price": "2999",
            "min_age_years": "3",
            "eligible_models": [device_model_default().pk],
            "valid_from_0": "2026-03-01",
            "valid_from_1": "00:00:00",
            "valid_until_0": "",
            "valid_until_1": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    offer = UpgradeOffer.objects.get(name="Spring upgrade")
    assert (offer.price, offer.min_age_years) == (2999, 3)
    assert list(offer.eligible_models.all()) == [device_model_default()]


def test_the_offer_admin_speaks_the_staff_members_language(staff_client: Client, staff):
    staff.language = "fr"
    staff.save()
    page = staff_client.get("/admin/upgrades/upgradeoffer/add/").content.decode()
    assert "Prix spécial" in page
    staff.language = "da"
    staff.save()
    page = staff_client.get("/admin/upgrades/upgradeoffer/add/").content.decode()
    assert "Særpris" in page
