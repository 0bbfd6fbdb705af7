"""The Security page: the way to each setting, and the account's recent security activity."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber, make_subscriber
from plugline.accounts.models import User
from plugline.core.models import AuditAction
from plugline.core.services import audit_record

SECURITY = "/account/security/"
ACCOUNT = "/account/"
LOGIN = "/accounts/login/"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
MORNING = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def browser(user_agent: str, address: str) -> Client:
    return Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=address)


def activity(page: str) -> list[str]:
    """What happened, in the order the page lists it."""
    return re.findall(r'<strong class="activity-what">(.*?)</strong>', page)


def test_it_is_linked_from_the_account_hub_and_leads_to_every_security_setting(
    alice: Subscriber, client: Client
):
    client.force_login(alice.user)
    assert f'href="{SECURITY}"' in client.get(ACCOUNT).content.decode()
    page = client.get(SECURITY).content.decode()
    for url in ("/accounts/password/change/", "/accounts/2fa/", "/accounts/sessions/"):
        assert f'href="{url}"' in page


def test_it_asks_a_visitor_to_sign_in(db: None, client: Client):
    response = client.get(SECURITY)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_it_lists_sign_ins_failures_and_changes_with_time_address_and_browser(
    alice: Subscriber,
):
    with time_machine.travel(MORNING, tick=False) as clock:
        phone = browser(CHROME_ANDROID, "198.51.100.7")
        phone.post(LOGIN, {"login": alice.email, "password": "not it"})
        clock.shift(timedelta(minutes=1))
        phone.post(LOGIN, {"login": alice.email, "password": alice.password})
        clock.shift(timedelta(hours=2))
        laptop = browser(FIREFOX_WINDOWS, "203.0.113.20")
        laptop.post(LOGIN, {"login": "(212) 555-0147", "password": alice.password})
        page = laptop.get(SECURITY).content.decode()

    assert activity(page) == [
        "Sign-in from a new browser",
        "Signed in",
        "Signed in",
        "Failed sign-in",
    ]
    entries = page.split('<strong class="activity-what">')[1:]
    assert "203.0.113.20" in entries[0] and "Firefox on Windows" in entries[0]
    assert (
        '<time datetime="2026-03-02T11:16:00+00:00">March 2, 2026, 11:16 a.m. UTC</time>'
        in (entries[0])
    )
    assert "198.51.100.7" in entries[3] and "Chrome on Android" in entries[3]
    assert "Failed sign-in</strong>: Wrong password" in page
    assert "March 2, 2026, 9:15 a.m. UTC" in entries[3]
    assert "Times are in your time zone, UTC" in page


def test_it_shows_times_in_the_subscribers_time_zone_with_the_zone(alice: Subscriber):
    User.objects.filter(pk=alice.user.pk).update(time_zone="Europe/Copenhagen")
    with time_machine.travel(MORNING, tick=False):
        client = browser(FIREFOX_WINDOWS, "203.0.113.20")
        client.post(LOGIN, {"login": alice.email, "password": alice.password})
        page = client.get(SECURITY).content.decode()
    assert '<time datetime="2026-03-02T10:15:00+01:00">March 2, 2026, 10:15 a.m. CET</time>' in page
    assert "Times are in your time zone, Europe/Copenhagen" in page


def test_it_shows_only_the_accounts_own_activity(alice: Subscriber, bob: Subscriber):
    audit_record(action=AuditAction.PASSWORD_CHANGED, user=bob.user)
    audit_record(action=AuditAction.SIGN_IN_FAILED, user=None, identifier="alice@example.com")
    audit_record(action=AuditAction.PROFILE_CHANGED, user=alice.user)
    client = Client()
    client.force_login(alice.user)
    assert activity(client.get(SECURITY).content.decode()) == ["Signed in", "Profile changed"]


def test_it_shows_the_latest_twenty_events_newest_first(alice: Subscriber, client: Client):
    with time_machine.travel(MORNING, tick=False) as clock:
        audit_record(action=AuditAction.PASSWORD_CHANGED, user=alice.user)  # the oldest
        for _ in range(24):
            clock.shift(timedelta(minutes=1))
            audit_record(action=AuditAction.SIGN_IN, user=alice.user)
        clock.shift(timedelta(minutes=1))
        audit_record(action=AuditAction.EMAIL_ADDED, user=alice.user)
    client.force_login(alice.user)
    listed = activity(client.get(SECURITY).content.decode())
    assert len(listed) == 20
    assert listed[0] == "Signed in"  # force_login's own sign-in, just now
    assert listed[1] == "Email added"
    assert "Password changed" not in listed


def test_it_takes_the_same_number_of_queries_for_one_event_and_for_many(db: None):
    counts = []
    for n, events in enumerate((0, 30)):
        subscriber = make_subscriber(f"user{n}@example.com", numbers=(f"+1212555030{n}",))
        for _ in range(events):
            audit_record(action=AuditAction.SIGN_IN_FAILED, user=subscriber.user)
        client = Client()
        client.force_login(subscriber.user)
        client.get(SECURITY)  # the session's first request records the browser
        with CaptureQueriesContext(connection) as queries:
            assert client.get(SECURITY).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_it_says_so_when_there_is_nothing_yet(alice: Subscriber, client: Client):
    # A session made without signing in (as by an operator's tool) has no events.
    client.force_login(alice.user)
    alice.user.audit_events.all().delete()
    assert "Nothing yet." in client.get(SECURITY).content.decode()
