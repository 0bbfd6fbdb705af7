"""Signing in, and the list of signed-in browsers, cost the same whatever the account's history.

An account signed in from a hundred browsers, and with a hundred more whose
sessions have ended, signs in with as many queries as a new one; the records
of ended sessions are deleted every hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import import_module

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber, make_subscriber
from plugline.accounts.models import User
from plugline.core.scheduling import periodic_jobs, scheduler_tick

LOGIN = "/accounts/login/"
SESSIONS = "/accounts/sessions/"
NOON = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def browsers_signed_in(user: User, count: int, *, first: int = 0) -> list[str]:
    """`count` browsers signed in to `user`'s account, as a sign-in leaves them: their keys."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    keys = []
    for n in range(first, first + count):
        store = store_class()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        UserSession.objects.create(
            user=user,
            session_key=store.session_key,
            ip=f"198.51.100.{n % 250 + 1}",
            user_agent=f"Browser {n}",
        )
        keys.append(store.session_key)
    return keys


def browsers_signed_out(user: User, count: int, *, first: int = 0) -> list[str]:
    """`count` browsers whose sessions have ended (expired, then cleared): their keys."""
    keys = browsers_signed_in(user, count, first=first)
    Session.objects.filter(session_key__in=keys).delete()
    return keys


def sign_in_queries(subscriber: Subscriber) -> int:
    client = Client(HTTP_USER_AGENT="Firefox", REMOTE_ADDR="203.0.113.20")
    client.get(LOGIN)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(LOGIN, {"login": subscriber.email, "password": subscriber.password})
    assert response.status_code == 302
    return len(queries)


def test_it_signs_in_with_as_many_queries_after_two_hundred_browsers_as_with_none():
    newcomer = make_subscriber("new@example.com", numbers=())
    regular = make_subscriber("regular@example.com", numbers=())
    browsers_signed_in(regular.user, 100)
    browsers_signed_out(regular.user, 100, first=100)

    assert sign_in_queries(newcomer) == sign_in_queries(regular)


def test_it_forgets_ended_sessions_when_signing_in_and_keeps_the_others():
    regular = make_subscriber("regular@example.com", numbers=())
    live = browsers_signed_in(regular.user, 3)
    ended = browsers_signed_out(regular.user, 2, first=3)

    sign_in_queries(regular)

    kept = set(UserSession.objects.filter(user=regular.user).values_list("session_key", flat=True))
    assert set(live) <= kept
    assert not kept & set(ended)
    assert len(kept) == len(live) + 1  # and the browser just signed in


def test_it_lists_a_hundred_browsers_with_as_many_queries_as_one():
    counts = []
    for others in (0, 100):
        subscriber = make_subscriber(f"holder{others}@example.com", numbers=())
        browsers_signed_in(subscriber.user, others)
        browsers_signed_out(subscriber.user, others, first=others)
        client = Client(HTTP_USER_AGENT="Firefox", REMOTE_ADDR="203.0.113.20")
        client.force_login(subscriber.user)
        client.get(SESSIONS)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(SESSIONS).content.decode()
        counts.append(len(queries))
        assert page.count('<h2 class="session-name">') == others + 1
    assert counts[0] == counts[1]


def test_it_lists_no_browser_signed_out_by_a_password_change():
    subscriber = make_subscriber(numbers=())
    browsers_signed_in(subscriber.user, 2)
    laptop = Client(HTTP_USER_AGENT="Firefox", REMOTE_ADDR="203.0.113.20")
    laptop.force_login(subscriber.user)
    response = laptop.post(
        "/accounts/password/change/",
        {
            "oldpassword": subscriber.password,
            "password1": "a new horse battery staple",
            "password2": "a new horse battery staple",
        },
    )
    assert response.status_code == 302

    page = laptop.get(SESSIONS).content.decode()
    assert page.count('<h2 class="session-name">') == 1
    assert "You are signed in only in this browser." in page


def test_it_deletes_the_records_of_ended_sessions_every_hour():
    with time_machine.travel(NOON - timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        regular = make_subscriber("regular@example.com", numbers=())
        expired = browsers_signed_in(regular.user, 2)
    cleared = browsers_signed_out(regular.user, 2, first=2)
    live = browsers_signed_in(regular.user, 2, first=4)
    other = make_subscriber("other@example.com", numbers=())
    others_live = browsers_signed_in(other.user, 1, first=6)

    with time_machine.travel(NOON, tick=False):
        assert "accounts.prune_user_sessions" in scheduler_tick(now=NOON, scheduler_id="a")

    left = set(UserSession.objects.values_list("session_key", flat=True))
    assert left == set(live) | set(others_live)
    assert not left & (set(expired) | set(cleared))
    assert {job.name: job.every for job in periodic_jobs()}["accounts.prune_user_sessions"] == (
        timedelta(hours=1)
    )


def usersession_writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith(("UPDATE", "INSERT"))
        and "usersessions_usersession" in query["sql"]
    ]


def session_writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith(("UPDATE", "INSERT")) and '"django_session"' in query["sql"]
    ]


def test_it_records_a_browsers_last_use_at_most_every_five_minutes():
    subscriber = make_subscriber(numbers=())
    laptop = Client(HTTP_USER_AGENT="Firefox", REMOTE_ADDR="203.0.113.20")
    with time_machine.travel(NOON, tick=False) as clock:
        laptop.post(LOGIN, {"login": subscriber.email, "password": subscriber.password})
        clock.shift(timedelta(seconds=20))
        with CaptureQueriesContext(connection) as queries:
            assert laptop.get("/account/").status_code == 200
            clock.shift(timedelta(seconds=30))
            assert laptop.get("/account/").status_code == 200
        assert usersession_writes(queries) == []
        assert session_writes(queries) == []

        clock.shift(timedelta(minutes=5))
        with CaptureQueriesContext(connection) as queries:
            assert laptop.get("/account/").status_code == 200
            assert laptop.get("/account/").status_code == 200
        assert len(usersession_writes(queries)) == 1

    record = UserSession.objects.get(user=subscriber.user)
    assert record.last_seen_at == NOON + timedelta(seconds=50, minutes=5)


def test_it_records_a_new_address_at_once():
    subscriber = make_subscriber(numbers=())
    laptop = Client(HTTP_USER_AGENT="Firefox", REMOTE_ADDR="203.0.113.20")
    with time_machine.travel(NOON, tick=False) as clock:
        laptop.post(LOGIN, {"login": subscriber.email, "password": subscriber.password})
        clock.shift(timedelta(seconds=20))
        laptop.get("/account/", REMOTE_ADDR="198.51.100.77")
        page = laptop.get(SESSIONS, REMOTE_ADDR="198.51.100.77").content.decode()

    record = UserSession.objects.get(user=subscriber.user)
    assert record.ip == "198.51.100.77"
    assert record.last_seen_at == NOON + timedelta(seconds=20)
    assert "198.51.100.77" in page
