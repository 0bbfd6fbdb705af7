"""My account as a dashboard: each device's status badge and what to do next, the card on
file, the latest invoice, and the one-click "Renew" that puts the device's usual plan in the
cart."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber, make_subscriber
from plugline.billing.models import (
    CartItem,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Plan,
    Subscription,
)
from plugline.billing.services import subscription_for_device
from plugline.billing.tests.factories import make_plan
from plugline.core.account_pages import account_pages_changed
from plugline.devices.models import Device
from plugline.voicemail.models import VoicemailMessage

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def serve(
    device: Device,
    ends_at: dt.datetime | None,
    *,
    trial_ends_at: dt.datetime | None = None,
    plan: Plan | None = None,
    autorenew_plan: Plan | None = None,
) -> Subscription:
    subscription = subscription_for_device(device=device)
    subscription.ends_at = ends_at
    subscription.trial_ends_at = trial_ends_at
    subscription.plan = plan
    subscription.autorenew = autorenew_plan is not None
    subscription.autorenew_plan = autorenew_plan
    subscription.save()
    return subscription


def with_e911(device: Device) -> None:
    Device.objects.filter(pk=device.pk).update(
        e911_street_address="20 W 34th St",
        e911_city="New York",
        e911_country_area="NY",
        e911_postal_code="10001",
        e911_country="US",
    )


def card(user, *, last4: str = "4242", exp_month: int = 12, exp_year: int = 2030):
    return PaymentMethod.objects.create(
        user=user,
        gateway="sandbox",
        token=f"pm_{uuid.uuid4().hex}",
        brand="Visa",
        last4=last4,
        exp_month=exp_month,
        exp_year=exp_year,
        is_default=True,
    )


def invoice(user, *, number: int, amount: int, created_at: dt.datetime) -> Payment:
    payment = Payment.objects.create(
        user=user,
        kind=PaymentKind.CHECKOUT,
        idempotency_key=f"test-{uuid.uuid4()}",
        amount=amount,
        currency="USD",
        status=PaymentStatus.SUCCEEDED,
        gateway="sandbox",
        invoice_number=number,
    )
    Payment.objects.filter(pk=payment.pk).update(created_at=created_at)
    return payment


def badges(page: str) -> list[str]:
    """The status badge of each device card, in order."""
    return re.findall(
        r'<p class="dashboard-status">\s*<span class="badge [a-z]+">([^<]*)</span>', page
    )


def my_account(client: Client, subscriber: Subscriber) -> str:
    client.force_login(subscriber.user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("ends_at", "trial_ends_at", "badge"),
    [
        (NOW + 200 * DAY, None, "Active"),
        (NOW + 31 * DAY, None, "Active"),
        (NOW + 30 * DAY, None, "Expires in 30 days"),
        (NOW + 12 * DAY, None, "Expires in 12 days"),
        (NOW + DAY, None, "Expires in 1 day"),
        (NOW + 6 * dt.timedelta(hours=1), None, "Expires today"),
        (NOW + 20 * DAY, NOW + 20 * DAY, "Free trial"),
        (NOW - 2 * DAY, None, "In grace period"),
        (NOW - 60 * DAY, None, "Expired"),
        (None, None, "No service"),
    ],
)
def test_it_shows_each_devices_status_badge(
    client: Client, alice: Subscriber, ends_at, trial_ends_at, badge
):
    if ends_at is not None:
        serve(alice.devices[0], ends_at, trial_ends_at=trial_ends_at)
    assert badges(my_account(client, alice)) == [badge]


@time_machine.travel(NOW, tick=False)
def test_it_says_expires_in_n_days_with_the_plural_forms_of_french_and_danish(
    client: Client, bob: Subscriber
):
    kitchen, cottage = bob.devices
    serve(kitchen, NOW + DAY)
    serve(cottage, NOW + 12 * DAY)
    assert badges(my_account(client, bob)) == ["Expire dans 1 jour", "Expire dans 12 jours"]
    bob.user.language = "da"
    bob.user.save()
    assert badges(my_account(client, bob)) == ["Udløber om 1 dag", "Udløber om 12 dage"]


@time_machine.travel(NOW, tick=False)
def test_it_shows_the_end_date_and_days_left_in_the_accounts_time_zone(client: Client, db: None):
    # At noon UTC on Nov. 29 it is already 1 a.m. on Nov. 30 in Auckland.
    kiwi = make_subscriber("kiwi@example.com", numbers=("+12125550101", "+12125550102"))
    kiwi.user.time_zone = "Pacific/Auckland"
    kiwi.user.save()
    # 20:00 UTC on Dec. 9 is Dec. 10 in Auckland: 10 days after Auckland's today.
    serve(kiwi.devices[0], dt.datetime(2026, 12, 9, 20, tzinfo=dt.UTC))
    # 10:00 UTC on Dec. 10 is 11 p.m. on Dec. 10 there: 10 days too (11 by UTC's calendar).
    serve(kiwi.devices[1], dt.datetime(2026, 12, 10, 10, tzinfo=dt.UTC))
    page = my_account(client, kiwi)
    assert page.count("Service until Dec. 10, 2026") == 2
    assert badges(page) == ["Expires in 10 days", "Expires in 10 days"]


@time_machine.travel(NOW, tick=False)
def test_it_warns_about_a_device_without_an_e911_address(client: Client, bob: Subscriber):
    kitchen, cottage = bob.devices
    with_e911(kitchen)
    bob.user.language = "en"
    bob.user.save()
    page = my_account(client, bob)
    assert page.count("No E911 address yet: add one before you use the line.") == 1
    assert f'href="/devices/{cottage.serial}/#device-e911"' in page
    assert f'href="/devices/{kitchen.serial}/#device-e911"' not in page


@time_machine.travel(NOW, tick=False)
def test_it_shows_autorenew_with_its_plan_or_off(client: Client, bob: Subscriber):
    kitchen, cottage = bob.devices
    year = make_plan("1-year", months=12, usd=4999)
    serve(kitchen, NOW + 100 * DAY, autorenew_plan=year)
    serve(cottage, NOW + 100 * DAY)
    bob.user.language = "en"
    bob.user.save()
    page = my_account(client, bob)
    shown = re.findall(r'<dd class="dashboard-autorenew">([^<·]*)', page)
    assert [text.strip() for text in shown] == ["On, with 12 months", "Off"]
    assert 'href="/account/autorenew/"' in page


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("usual", ["autorenew", "last bought", "cheapest"])
def test_it_renews_in_one_click_with_the_devices_usual_plan(
    client: Client, alice: Subscriber, usual: str
):
    month = make_plan("1-month", months=1, usd=599)
    year = make_plan("1-year", months=12, usd=4999)
    two_years = make_plan("2-year", months=24, usd=8999)
    device = alice.devices[0]
    if usual == "autorenew":
        serve(device, NOW + 10 * DAY, plan=year, autorenew_plan=two_years)
        expected = two_years
    elif usual == "last bought":
        serve(device, NOW + 10 * DAY, plan=year)
        expected = year
    else:
        serve(device, NOW + 10 * DAY)
        expected = month
    client.force_login(alice.user)
    assert f'action="/renew/devices/{device.serial}/"' in client.get("/").content.decode()

    response = client.post(f"/renew/devices/{device.serial}/", follow=True)

    assert response.redirect_chain[-1][0] == "/renew/checkout/"
    lines = list(CartItem.objects.filter(user=alice.user).values_list("plan__code", flat=True))
    assert lines == [expected.code]
    assert f"{expected.name} for (212) 555-0147 is in your cart." in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_it_renews_with_the_cheapest_plan_when_the_usual_one_is_no_longer_sold(
    client: Client, alice: Subscriber
):
    retired = make_plan("old-year", months=12, usd=3999, active=False)
    year = make_plan("1-year", months=12, usd=4999)
    serve(alice.devices[0], NOW + 10 * DAY, plan=retired)
    client.force_login(alice.user)
    client.post(f"/renew/devices/{alice.devices[0].serial}/")
    assert list(CartItem.objects.values_list("plan_id", flat=True)) == [year.pk]


@time_machine.travel(NOW, tick=False)
def test_it_offers_to_choose_a_plan_when_none_is_for_sale(client: Client, alice: Subscriber):
    serve(alice.devices[0], NOW + 10 * DAY)
    client.force_login(alice.user)
    response = client.post(f"/renew/devices/{alice.devices[0].serial}/")
    assert response.status_code == 302
    assert response["Location"] == f"/renew/?device={alice.devices[0].serial}"
    assert not CartItem.objects.exists()


def test_it_never_renews_another_accounts_device(
    client: Client, alice: Subscriber, bob: Subscriber
):
    make_plan()
    client.force_login(alice.user)
    response = client.post(f"/renew/devices/{bob.devices[0].serial}/")
    assert response.status_code == 404
    assert not CartItem.objects.exists()
    page = client.get("/").content.decode()
    assert bob.devices[0].serial not in page
    assert "(310) 555-0100" not in page


def test_it_renews_only_by_post(client: Client, alice: Subscriber):
    make_plan()
    client.force_login(alice.user)
    assert client.get(f"/renew/devices/{alice.devices[0].serial}/").status_code == 405
    assert not CartItem.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_it_shows_the_card_on_file(client: Client, alice: Subscriber):
    card(alice.user, last4="4242", exp_month=3, exp_year=2029)
    page = my_account(client, alice)
    assert "Visa ending in 4242 · Expires 03/2029" in page
    assert 'href="/account/cards/"' in page
    assert "Expires soon" not in page


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("exp_month", "exp_year", "warning"),
    [(10, 2026, "This card can no longer be charged."), (12, 2026, "Expires soon")],
)
def test_it_warns_about_an_expired_or_expiring_card(
    client: Client, alice: Subscriber, exp_month: int, exp_year: int, warning: str
):
    card(alice.user, exp_month=exp_month, exp_year=exp_year)
    assert warning in my_account(client, alice)


@time_machine.travel(NOW, tick=False)
def test_it_asks_for_a_card_when_autorenew_is_on_without_one(client: Client, alice: Subscriber):
    serve(alice.devices[0], NOW + 100 * DAY, autorenew_plan=make_plan())
    page = my_account(client, alice)
    assert "AutoRenew is on, but there is no card on file" in page
    card(alice.user)
    assert "AutoRenew is on, but there is no card on file" not in my_account(client, alice)


@time_machine.travel(NOW, tick=False)
def test_it_shows_the_latest_invoice(client: Client, alice: Subscriber, bob: Subscriber):
    invoice(alice.user, number=1001, amount=2999, created_at=NOW - 400 * DAY)
    invoice(alice.user, number=1002, amount=4999, created_at=NOW - 10 * DAY)
    invoice(bob.user, number=1003, amount=8999, created_at=NOW - DAY)
    page = my_account(client, alice)
    assert "Invoice 1002</a> · Nov. 19, 2026 · $49.99" in page
    assert 'href="/invoices/1002/pdf/"' in page
    assert "1001" not in page
    assert "1003" not in page


def test_it_says_no_invoice_yet(client: Client, alice: Subscriber):
    assert "No invoice yet." in my_account(client, alice)


def test_it_offers_to_activate_a_device_when_there_is_none(client: Client, db: None):
    newcomer = make_subscriber("new@example.com", numbers=())
    page = my_account(client, newcomer)
    assert re.search(r'<a class="button primary" href="/activate/">Activate a device</a>', page)


@time_machine.travel(NOW, tick=False)
def test_it_takes_as_many_queries_for_five_devices_as_for_one(client: Client, db: None):
    year = make_plan()
    one = make_subscriber("one@example.com", numbers=("+12125550101",))
    five = make_subscriber(
        "five@example.com", numbers=tuple(f"+1212555{n:04d}" for n in range(110, 115))
    )
    counts = []
    for n, subscriber in enumerate((one, five)):
        for device in subscriber.devices:
            serve(device, NOW + 10 * DAY, plan=year, autorenew_plan=year)
        card(subscriber.user, last4=f"{n}242")
        invoice(subscriber.user, number=2000 + n, amount=4999, created_at=NOW)
        client.force_login(subscriber.user)
        client.get("/")  # sessions, caches warmed
        account_pages_changed(user_ids=[subscriber.user.pk])  # rendered again, not kept
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/").content.decode()
        counts.append(len(queries))
        assert page.count('class="dashboard-status"') == len(subscriber.devices)
        assert page.count("On, with 12 months") == len(subscriber.devices)
    assert counts[0] == counts[1]


@time_machine.travel(NOW, tick=False)
def test_it_reads_the_devices_with_their_services_in_one_query(client: Client, db: None):
    """The devices and their subscriptions (with both plans) come in one query, not two."""
    year = make_plan()
    holder = make_subscriber("two@example.com", numbers=("+12125550121", "+12125550122"))
    serve(holder.devices[0], NOW + 10 * DAY, plan=year, autorenew_plan=year)
    # The second device was never served: no subscription row at all.
    Subscription.objects.filter(device=holder.devices[1]).delete()
    client.force_login(holder.user)
    client.get("/")  # sessions, caches warmed
    account_pages_changed(user_ids=[holder.user.pk])  # rendered again, not the kept page
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/").content.decode()
    assert "On, with 12 months" in page
    assert "No service yet." in page
    reading_devices = [q["sql"] for q in queries if 'FROM "devices_device"' in q["sql"]]
    reading_services = [q["sql"] for q in queries if '"billing_subscription"' in q["sql"]]
    assert len(reading_devices) == 1
    assert reading_services == reading_devices


def voicemail(device: Device, *, new: int, heard: int = 0) -> None:
    for n in range(new + heard):
        VoicemailMessage.objects.create(
            device=device,
            caller="+14165550148",
            received_at=NOW - n * dt.timedelta(hours=1),
            duration_seconds=12,
            heard=n >= new,
            audio=f"voicemail/messages/{device.serial}-{n}.wav",
        )


def voicemail_links(page: str) -> list[tuple[str, str]]:
    """Each device card's new-voicemail link: where it goes, what it says (hidden text too)."""
    return [
        (href, re.sub(r"<[^>]+>", "", text))
        for href, text in re.findall(
            r'<p class="dashboard-voicemail"><a href="([^"]*)">(.*?)</a></p>', page
        )
    ]


@time_machine.travel(NOW, tick=False)
def test_it_shows_each_devices_new_voicemail_count_linking_to_its_messages(
    client: Client, db: None
):
    holder = make_subscriber(
        "three@example.com", numbers=("+12125550131", "+12125550132", "+12125550133")
    )
    kitchen, cottage, office = holder.devices
    Device.objects.filter(pk=kitchen.pk).update(nickname="Kitchen")
    voicemail(kitchen, new=2, heard=3)
    voicemail(cottage, new=1)
    voicemail(office, new=0, heard=2)

    page = my_account(client, holder)

    assert voicemail_links(page) == [
        (f"/devices/{kitchen.serial}/#voicemail", "2 new voicemail messages on Kitchen"),
        (f"/devices/{cottage.serial}/#voicemail", "1 new voicemail message on (212) 555-0132"),
    ]


@time_machine.travel(NOW, tick=False)
def test_it_says_how_many_new_voicemail_messages_in_french_and_danish(
    client: Client, bob: Subscriber
):
    kitchen, cottage = bob.devices
    voicemail(kitchen, new=1)
    voicemail(cottage, new=3)

    shown = [text for _href, text in voicemail_links(my_account(client, bob))]
    assert shown == [
        "1 nouveau message vocal sur (310) 555-0100",
        "3 nouveaux messages vocaux sur (416) 555-0148",
    ]
    bob.user.language = "da"
    bob.user.save()
    shown = [text for _href, text in voicemail_links(my_account(client, bob))]
    assert shown == ["1 ny talebesked på (310) 555-0100", "3 nye talebeskeder på (416) 555-0148"]


@time_machine.travel(NOW, tick=False)
def test_it_counts_the_new_voicemail_of_every_device_in_one_query(client: Client, db: None):
    counts = []
    for n, numbers in enumerate((1, 6)):
        holder = make_subscriber(
            f"vm{n}@example.com", numbers=tuple(f"+1212555{n}{i:03d}" for i in range(numbers))
        )
        for device in holder.devices:
            voicemail(device, new=2, heard=1)
        client.force_login(holder.user)
        client.get("/")  # sessions, caches warmed
        account_pages_changed(user_ids=[holder.user.pk])  # rendered again, not the kept page
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/").content.decode()
        assert len(voicemail_links(page)) == numbers
        counts.append([q["sql"] for q in queries if '"voicemail_voicemailmessage"' in q["sql"]])
    assert [len(reading) for reading in counts] == [1, 1]
