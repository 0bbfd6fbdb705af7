"""`seed_demo`'s billing part: plans and prices, and the demo devices' service end dates."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from plugline.billing.models import Plan, Subscription
from plugline.devices.services import device_model_default
from plugline.portal.management.commands.seed_demo import DEMO_DEVICES
from plugline.reports.demo import HISTORY_SERIAL_PREFIX

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _demo_mode(settings) -> None:
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> None:
    call_command("seed_demo", stdout=StringIO())


def test_it_makes_the_plans_with_their_prices():
    seed()
    year, five_years = Plan.objects.order_by("months")
    assert (year.code, year.name, year.months, year.autorenew_allowed) == (
        "1-year",
        "1 year",
        12,
        True,
    )
    assert dict(year.prices.values_list("currency", "amount")) == {
        "USD": 4999,
        "CAD": 6499,
        "DKK": 39900,
    }
    assert (five_years.months, five_years.autorenew_allowed) == (60, False)
    assert five_years.prices.get(currency="USD").amount == 19999
    assert device_model_default().included_months == 12


def test_the_demo_devices_end_at_different_dates_and_a_second_run_keeps_them():
    with time_machine.travel(NOW, tick=False):
        seed()
    ends = [
        Subscription.objects.get(device__serial=serial).ends_at for serial, _, _ in DEMO_DEVICES
    ]
    assert ends == [NOW + dt.timedelta(days=20), NOW + dt.timedelta(days=240)]
    # A renewal tried in the demo is kept when the demo data is seeded again.
    Subscription.objects.filter(device__serial=DEMO_DEVICES[0][0]).update(
        ends_at=NOW + dt.timedelta(days=385)
    )
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        seed()
    assert Subscription.objects.get(device__serial=DEMO_DEVICES[0][0]).ends_at == NOW + (
        dt.timedelta(days=385)
    )
    assert Plan.objects.count() == 2
    # The demo subscriber's two (the reports' demo history has devices of its own).
    assert (
        Subscription.objects.exclude(device__serial__startswith=HISTORY_SERIAL_PREFIX).count() == 2
    )
