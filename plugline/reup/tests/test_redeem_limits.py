"""Guessing PINs: tries limited per account, per client address and for the whole site;
a burst of failures raises one staff alert."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from pytest_django.fixtures import Settings

from conftest import Subscriber
from plugline.accounts.models import User
from plugline.core.models import AuditAction, AuditEvent, StaffAlert
from plugline.core.scheduling import periodic_jobs
from plugline.devices.models import Device, DeviceStatus
from plugline.devices.services import device_model_default
from plugline.reup import pins
from plugline.reup.guarding import ALERT_KIND, KEEP_FAILURES, PRUNE_JOB_NAME
from plugline.reup.models import ReupCardStatus, ReupRedeemFailure
from plugline.reup.redemption import RedeemFailure, card_redeem
from plugline.reup.tests.factories import make_activated_card
from plugline.reup.tests.test_redeem import checked_device
from plugline.reup.views import throttled_message

pytestmark = pytest.mark.django_db

GUESSES = 200


def try_from(ip: str) -> HttpRequest:
    return RequestFactory().post("/account/reup/", REMOTE_ADDR=ip)


def accounts_with_a_device(count: int) -> list[tuple[User, Device]]:
    model = device_model_default()
    pairs = []
    for n in range(count):
        user = User.objects.create_user(f"guesser{n}@example.com", None)
        device = Device.objects.create(
            serial=f"PLGUESS{n:05d}", model=model, owner=user, status=DeviceStatus.ACTIVE
        )
        pairs.append((user, device))
    return pairs


def reasons() -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in AuditEvent.objects.filter(action=AuditAction.REUP_REDEEM_FAILED):
        counts[event.data["reason"]] = counts.get(event.data["reason"], 0) + 1
    return counts


def card_lookups(queries: CaptureQueriesContext) -> int:
    return sum('FROM "reup_reupcard"' in query["sql"] for query in queries.captured_queries)


def test_it_throttles_200_guesses_from_one_account_and_alerts_staff_once(
    alice: Subscriber,
) -> None:
    device = alice.devices[0]
    card, pin = make_activated_card()

    with CaptureQueriesContext(connection) as queries:
        results = [
            card_redeem(
                user=alice.user, pin_raw=pins.pin_generate(), device=device, request=try_from(ip)
            )
            for ip in (f"203.0.113.{n % 250}" for n in range(GUESSES))
        ]
    # Even the right PIN waits now: the limit is about tries, not about being wrong.
    right = card_redeem(user=alice.user, pin_raw=pin, device=device, request=try_from("10.0.0.1"))

    failures = [result.failure for result in results]
    assert failures.count(RedeemFailure.REFUSED) == 10  # the hour's allowance of an account
    assert failures.count(RedeemFailure.THROTTLED) == GUESSES - 10
    assert reasons() == {"unknown": 10, "throttled": GUESSES - 10 + 1}
    # The throttled ones never looked for a card (two reads per refused guess).
    assert card_lookups(queries) == 2 * 10
    assert right.failure == RedeemFailure.THROTTLED
    card.refresh_from_db()
    assert card.status == ReupCardStatus.ACTIVATED
    alert = StaffAlert.objects.get(kind=ALERT_KIND)
    assert alert.data["scope"] == "account" and alert.data["who"] == str(alice.user.pk)
    assert alert.data["failures"] == 20
    assert ReupRedeemFailure.objects.count() == GUESSES + 1


def test_it_throttles_200_guesses_from_as_many_accounts_at_one_address_and_alerts_once() -> None:
    with CaptureQueriesContext(connection) as queries:
        results = [
            card_redeem(
                user=user, pin_raw=pins.pin_generate(), device=device, request=try_from("192.0.2.7")
            )
            for user, device in accounts_with_a_device(GUESSES)
        ]

    failures = [result.failure for result in results]
    assert failures.count(RedeemFailure.REFUSED) == 20  # the hour's allowance of an address
    assert failures.count(RedeemFailure.THROTTLED) == GUESSES - 20
    assert card_lookups(queries) == 2 * 20
    alert = StaffAlert.objects.get(kind=ALERT_KIND)
    assert alert.data["scope"] == "address" and alert.data["who"] == "192.0.2.7"


def test_it_throttles_200_guesses_from_many_accounts_and_addresses_for_the_whole_site(
    settings: Settings,
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "reup_redeem_global": "50/h/key",
    }

    results = [
        card_redeem(
            user=user,
            pin_raw=pins.pin_generate(),
            device=device,
            request=try_from(f"198.51.100.{n % 200}"),
        )
        for n, (user, device) in enumerate(accounts_with_a_device(GUESSES))
    ]

    failures = [result.failure for result in results]
    assert failures.count(RedeemFailure.REFUSED) == 50
    assert failures.count(RedeemFailure.THROTTLED) == GUESSES - 50
    alert = StaffAlert.objects.get(kind=ALERT_KIND)
    assert alert.data["scope"] == "site" and alert.data["failures"] == 100


def test_it_keeps_one_alert_per_incident_however_long_the_burst(
    alice: Subscriber, settings: Settings
) -> None:
    settings.REUP_ALERT_ACCOUNT_FAILURES = 3
    for _ in range(10):
        card_redeem(
            user=alice.user,
            pin_raw="not a pin",
            device=alice.devices[0],
            request=try_from("203.0.113.1"),
        )

    assert StaffAlert.objects.filter(kind=ALERT_KIND).count() == 1


def test_it_alerts_nobody_for_a_few_typing_mistakes(alice: Subscriber) -> None:
    for _ in range(5):
        card_redeem(
            user=alice.user,
            pin_raw=pins.pin_generate(),
            device=alice.devices[0],
            request=try_from("203.0.113.1"),
        )

    assert not StaffAlert.objects.exists()


def test_it_says_try_again_later_and_keeps_the_device_when_throttled(
    client: Client, bob: Subscriber
) -> None:
    client.force_login(bob.user)
    device = bob.devices[1]
    for _ in range(10):
        client.post("/account/reup/", {"pin": pins.pin_generate(), "device": device.serial})

    response = client.post("/account/reup/", {"pin": pins.pin_generate(), "device": device.serial})

    page = response.content.decode()
    assert response.status_code == 429
    with translation.override("fr"):  # Bob reads French
        assert throttled_message().replace("'", "&#x27;") in page
    assert checked_device(page) == device.serial


def test_the_hourly_job_deletes_failures_older_than_a_day(alice: Subscriber) -> None:
    old = ReupRedeemFailure.objects.create(user=alice.user, ip_address="203.0.113.9")
    recent = ReupRedeemFailure.objects.create(user=alice.user, ip_address="203.0.113.9")
    ReupRedeemFailure.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - KEEP_FAILURES - dt.timedelta(minutes=1)
    )

    job = next(job for job in periodic_jobs() if job.name == PRUNE_JOB_NAME)
    job.func()

    assert list(ReupRedeemFailure.objects.values_list("pk", flat=True)) == [recent.pk]
