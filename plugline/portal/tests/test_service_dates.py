"""My account and the device page: until when each device has service, and in what state."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber, make_subscriber
from plugline.billing.services import subscription_for_device

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


def ending(device, ends_at, *, trial_ends_at=None):
    subscription = subscription_for_device(device=device)
    subscription.ends_at = ends_at
    subscription.trial_ends_at = trial_ends_at
    subscription.save()


@time_machine.travel(NOW, tick=False)
def test_my_account_shows_each_devices_service_end_date(client: Client, bob: Subscriber):
    kitchen, cottage = bob.devices
    ending(kitchen, dt.datetime(2026, 12, 19, 12, tzinfo=dt.UTC))
    ending(cottage, dt.datetime(2027, 7, 29, 12, tzinfo=dt.UTC))
    client.force_login(bob.user)
    page = client.get("/").content.decode()
    # Bob reads French: the dates are in French.
    assert "19 décembre 2026" in page
    assert "29 juillet 2027" in page


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("ends_at", "trial_ends_at", "shown"),
    [
        (dt.datetime(2027, 3, 1, tzinfo=dt.UTC), None, "Service until March 1, 2027"),
        (
            dt.datetime(2026, 12, 20, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 20, tzinfo=dt.UTC),
            "Trial until Dec. 20, 2026",
        ),
        (
            dt.datetime(2026, 11, 25, tzinfo=dt.UTC),
            None,
            "Service ended on Nov. 25, 2026: renew to keep it working.",
        ),
        (dt.datetime(2026, 8, 1, tzinfo=dt.UTC), None, "Service ended on Aug. 1, 2026."),
        (None, None, "No service yet."),
    ],
)
def test_the_device_page_says_until_when_the_device_has_service(
    client: Client, alice: Subscriber, ends_at, trial_ends_at, shown
):
    device = alice.devices[0]
    if ends_at is not None:
        ending(device, ends_at, trial_ends_at=trial_ends_at)
    client.force_login(alice.user)
    page = client.get(f"/devices/{device.serial}/").content.decode()
    assert shown in page
    home = client.get("/").content.decode()
    assert shown in home


def test_my_account_takes_as_many_queries_for_many_devices_as_for_one(
    client: Client, django_assert_num_queries
):
    few = make_subscriber("few@example.com", numbers=("+12125550101",))
    many = make_subscriber(
        "many@example.com",
        numbers=("+12125550102", "+12125550103", "+12125550104", "+12125550105"),
    )
    for subscriber in (few, many):
        for device in subscriber.devices[:-1]:
            ending(device, NOW)
    client.force_login(few.user)
    client.get("/")  # sessions, caches warmed
    with CaptureQueriesContext(connection) as one_device:
        assert client.get("/").status_code == 200
    # Counted now: the next request empties the connection's query log.
    queries_for_one = len(one_device.captured_queries)
    client.force_login(many.user)
    client.get("/")
    with django_assert_num_queries(queries_for_one):
        page = client.get("/").content.decode()
    assert page.count('class="meta service"') == 4
