""" "My account" is kept rendered for each account (plugline.core.account_pages), and
shows every change at once: each kind of write that changes what it shows, the turn of
the day and the end of a service, another language; never another account's page, and
never a stale CSRF token or a message already shown."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import Subscriber
from plugline.accounts.services import user_profile_update, user_set_language
from plugline.billing.gateways.base import ChargeResult, Outcome
from plugline.billing.models import PaymentStatus, PlanPrice
from plugline.billing.payments import payments_record
from plugline.billing.renewals import renewal_run
from plugline.billing.services import card_make_default, subscription_for_device
from plugline.billing.tests.factories import (
    card_on_file,
    make_paid_item,
    make_plan,
    sandbox_reset,
)
from plugline.devices.services import device_assign, device_release, device_rename

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def my_account(client: Client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def signed_in(client: Client, subscriber: Subscriber) -> Client:
    client.force_login(subscriber.user)
    return client


def serve(subscriber: Subscriber, ends_at: dt.datetime, *, autorenew: bool = False) -> None:
    subscription = subscription_for_device(device=subscriber.devices[0])
    subscription.ends_at = ends_at
    subscription.plan = subscription.autorenew_plan = make_plan()
    subscription.autorenew = autorenew
    subscription.save()


def test_it_serves_my_account_again_without_reading_the_account(client: Client, alice: Subscriber):
    serve(alice, timezone.now() + 100 * DAY)
    first = my_account(signed_in(client, alice))
    with CaptureQueriesContext(connection) as queries:
        again = my_account(client)
    read = [q["sql"] for q in queries if "devices_device" in q["sql"] or "billing_" in q["sql"]]
    assert read == []
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", again) == token.sub("", first)
    assert "(212) 555-0147" in again


def test_it_reads_the_kept_page_with_the_signed_in_user_in_one_round_trip(
    client: Client, alice: Subscriber
):
    serve(alice, timezone.now() + 100 * DAY)
    first = my_account(signed_in(client, alice))
    cache = caches["pages"]
    reads: list[str] = []
    get, get_many = cache.get, cache.get_many

    def read_one(key: str, *args: Any, **kwargs: Any) -> Any:
        reads.append("get")
        return get(key, *args, **kwargs)

    def read_many(keys: list[str], *args: Any, **kwargs: Any) -> Any:
        reads.append("get_many")
        # Some backends read many keys one by one: one round trip still, for Redis.
        with mock.patch.object(cache, "get", get):
            return get_many(keys, *args, **kwargs)

    with mock.patch.object(cache, "get", read_one), mock.patch.object(cache, "get_many", read_many):
        again = my_account(client)
    assert again.split("csrfmiddlewaretoken")[0] == first.split("csrfmiddlewaretoken")[0]
    assert reads == ["get_many"]


def test_it_shows_a_renewal_made_by_the_renewal_run(client: Client, alice: Subscriber):
    sandbox_reset()
    card_on_file(alice.user)
    serve(alice, timezone.now() + 2 * DAY, autorenew=True)
    before = my_account(signed_in(client, alice))
    assert "Expires in 2 days" in before
    assert "No invoice yet." in before
    assert renewal_run(batch=20).outcomes == {"succeeded": 1}
    after = my_account(client)
    assert "Expires in 2 days" not in after
    assert re.search(r"Invoice \d+</a>", after)


def test_it_shows_a_payment_recorded_with_others_by_the_renewal_workers(
    client: Client, alice: Subscriber
):
    """The batch of a renewal worker writes the services and the invoices in bulk."""
    serve(alice, timezone.now() + 2 * DAY, autorenew=True)
    item = make_paid_item(
        user=alice.user,
        subscription=subscription_for_device(device=alice.devices[0]),
        plan=make_plan(),
        status=PaymentStatus.PENDING,
    )
    before = my_account(signed_in(client, alice))
    assert "Expires in 2 days" in before
    assert "No invoice yet." in before
    payments_record(
        answers=[(item.payment, ChargeResult(outcome=Outcome.SUCCEEDED, charge_id="ch_1"))]
    )
    after = my_account(client)
    assert "Expires in 2 days" not in after
    assert re.search(r"Invoice \d+</a>", after)


def test_it_shows_autorenew_turned_off(client: Client, alice: Subscriber):
    serve(alice, timezone.now() + 100 * DAY, autorenew=True)
    assert "On, with 12 months" in my_account(signed_in(client, alice))
    answer = client.post(f"/account/autorenew/{alice.devices[0].pk}/", {"enabled": ""})
    assert answer.status_code == 302
    assert "AutoRenew is off" in client.get(answer["Location"]).content.decode()  # shown
    page = my_account(client)
    assert "On, with 12 months" not in page
    assert re.search(r'class="dashboard-autorenew">Off', page)


def test_it_shows_a_card_added(client: Client, alice: Subscriber):
    sandbox_reset()
    assert "There is no card on your account yet." in my_account(signed_in(client, alice))
    card_on_file(alice.user)
    assert "Visa ending in 4242" in my_account(client)


def test_it_shows_the_card_made_the_default(client: Client, alice: Subscriber):
    sandbox_reset()
    first = card_on_file(alice.user)
    second = card_on_file(alice.user, "5555 5555 5555 4444")
    assert "ending in 4242" in my_account(signed_in(client, alice))
    assert card_make_default(user=alice.user, payment_method=second)
    assert "ending in 4444" in my_account(client)
    assert card_make_default(user=alice.user, payment_method=first)
    assert "ending in 4242" in my_account(client)


def test_it_shows_a_device_released_and_given_to_another_account(
    client: Client, alice: Subscriber, bob: Subscriber
):
    device = alice.devices[0]
    number = "+12125550147"
    assert "(212) 555-0147" in my_account(signed_in(client, alice))
    bobs = Client()
    assert "(212) 555-0147" not in my_account(signed_in(bobs, bob))
    device_release(device=device, keep_number=True)
    assert "There is no device on your account yet." in my_account(client)
    device_assign(serial=device.serial, owner=bob.user, phone_number=number)
    assert "(212) 555-0147" in my_account(bobs)


def test_it_shows_a_device_renamed(client: Client, alice: Subscriber):
    assert "Kitchen" not in my_account(signed_in(client, alice))
    device_rename(device=alice.devices[0], nickname="Kitchen")
    assert "Kitchen · Serial" in my_account(client)


def test_it_shows_the_plan_renew_buys_after_a_price_change(client: Client, alice: Subscriber):
    make_plan("year", months=12, usd=4999)
    make_plan("month", months=1, usd=5999)
    assert "Renew puts 12 months in your cart." in my_account(signed_in(client, alice))
    price = PlanPrice.objects.get(plan__code="month")
    price.amount = 999
    price.save()
    assert "Renew puts 1 months in your cart." in my_account(client)


def test_it_shows_the_name_and_language_changed(client: Client, alice: Subscriber):
    assert "Welcome, Alice." in my_account(signed_in(client, alice))
    profile = {field: getattr(alice.user, field) for field in ("first_name", "last_name")}
    user = alice.user
    changed = user_profile_update(
        user=user,
        profile={**_profile(user), **profile, "first_name": "Alicia"},
    )
    assert changed == ["first_name"]
    assert "Welcome, Alicia." in my_account(client)
    user_set_language(user=user, language="fr")
    page = my_account(client)
    assert "Bienvenue, Alicia." in page
    assert '<html lang="fr">' in page


def _profile(user: object) -> dict[str, str]:
    from plugline.accounts.services import PROFILE_FIELDS

    return {field: getattr(user, field) for field in PROFILE_FIELDS}


def test_it_never_shows_one_account_the_page_of_another(
    client: Client, alice: Subscriber, bob: Subscriber
):
    alices = my_account(signed_in(client, alice))
    client.logout()
    # Bob's language is French: in English too, to be served from the same key but his.
    user_set_language(user=bob.user, language="en")
    bobs = my_account(signed_in(client, bob))
    assert "(212) 555-0147" in alices and "(310) 555-0100" not in alices
    assert "(212) 555-0147" not in bobs and "(310) 555-0100" in bobs


def test_it_still_shows_a_message_once(client: Client, alice: Subscriber):
    serve(alice, timezone.now() + 100 * DAY, autorenew=True)
    my_account(signed_in(client, alice))  # kept rendered
    client.post(f"/account/autorenew/{alice.devices[0].pk}/", {"enabled": ""})
    # The message waits for the next page shown: "My account", not the AutoRenew page.
    page = my_account(client)
    assert "AutoRenew is off for (212) 555-0147." in page
    assert "AutoRenew is off for" not in my_account(client)


def test_it_gives_each_answer_a_csrf_token_that_signs_out(alice: Subscriber):
    client = signed_in(Client(enforce_csrf_checks=True), alice)
    my_account(client)
    page = my_account(client)  # from the cache
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert len(tokens) == 1
    answer = client.post("/accounts/logout/", {"csrfmiddlewaretoken": tokens.pop()})
    assert answer.status_code == 302
    assert client.get("/").status_code == 302  # signed out


def test_it_masks_the_token_anew_for_each_answer(alice: Subscriber):
    client = signed_in(Client(), alice)
    tokens = {
        re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', my_account(client))[0]
        for _ in range(3)
    }
    assert len(tokens) == 3


def test_it_gives_a_browser_without_a_csrf_cookie_one_that_its_forms_use(alice: Subscriber):
    client = signed_in(Client(enforce_csrf_checks=True), alice)
    my_account(client)  # kept rendered
    client.cookies.pop("csrftoken", None)
    response = client.get("/")
    assert "csrftoken" in response.cookies
    token = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[0]
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302


def test_it_does_not_send_again_the_csrf_cookie_the_browser_holds(alice: Subscriber):
    client = signed_in(Client(enforce_csrf_checks=True), alice)
    my_account(client)
    held = client.cookies["csrftoken"].value
    response = client.get("/")  # from the cache
    assert "csrftoken" not in response.cookies
    assert client.cookies["csrftoken"].value == held
    # Another page renews its expiry, as Django does.
    assert client.get("/account/profile/").cookies["csrftoken"].value == held


def test_it_replaces_an_unusable_csrf_cookie(alice: Subscriber):
    client = signed_in(Client(enforce_csrf_checks=True), alice)
    my_account(client)
    client.cookies["csrftoken"] = "not-a-token"
    response = client.get("/")
    assert response.cookies["csrftoken"].value not in ("", "not-a-token")
    token = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[0]
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302


def test_it_counts_the_days_left_again_after_midnight_in_the_accounts_time_zone(
    client: Client, alice: Subscriber
):
    user = alice.user
    user_profile_update(user=user, profile={**_profile(user), "time_zone": "America/New_York"})
    ends_at = dt.datetime(2026, 12, 10, 17, tzinfo=dt.UTC)  # noon in New York
    evening = dt.datetime(2026, 12, 7, 4, 30, tzinfo=dt.UTC)  # 23:30 on 6 December there
    with time_machine.travel(evening, tick=False):
        serve(alice, ends_at)
        assert "Expires in 4 days" in my_account(signed_in(client, alice))
    with time_machine.travel(evening + dt.timedelta(hours=1), tick=False):
        assert "Expires in 3 days" in my_account(client)


def test_it_shows_the_service_ended_at_the_hour_it_ends(client: Client, alice: Subscriber):
    ends_at = dt.datetime(2026, 12, 10, 14, 30, tzinfo=dt.UTC)
    with time_machine.travel(ends_at - dt.timedelta(minutes=5), tick=False):
        serve(alice, ends_at)
        assert "Expires today" in my_account(signed_in(client, alice))
    with time_machine.travel(ends_at + dt.timedelta(minutes=1), tick=False):
        assert "In grace period" in my_account(client)
