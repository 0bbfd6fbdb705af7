"""With the sessions in the pages' cache (production, with Redis), a signed-in page reads its
session and its account in one round trip, guided by the browser's account hint; the
hint is never trusted over the session (plugline.accounts.session_store)."""

from __future__ import annotations

from http.cookies import Morsel
from typing import Any
from unittest import mock

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils.functional import SimpleLazyObject

from conftest import Subscriber
from plugline.accounts.middleware import ACCOUNT_HINT_COOKIE_NAME
from plugline.accounts.models import User
from plugline.accounts.session_store import SessionStore

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sessions_in_the_pages_cache(settings: Any) -> None:
    settings.SESSION_ENGINE = "plugline.accounts.session_store"
    settings.SESSION_CACHE_ALIAS = "pages"


def sign_in(subscriber: Subscriber) -> Client:
    client = Client(HTTP_USER_AGENT="Firefox", REMOTE_ADDR="203.0.113.20")
    answer = client.post(
        "/accounts/login/", {"login": subscriber.email, "password": subscriber.password}
    )
    assert answer.status_code == 302
    return client


def my_account(client: Client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def hint_of(client: Client) -> Morsel[str] | None:
    return client.cookies.get(ACCOUNT_HINT_COOKIE_NAME)


def test_it_gives_the_browser_the_hint_when_it_signs_in(alice: Subscriber):
    client = sign_in(alice)
    hint = hint_of(client)
    assert hint is not None and hint.value == str(alice.user.pk)
    assert hint["httponly"] and hint["samesite"] == "Lax"


def test_it_reads_the_session_and_the_account_in_one_round_trip(alice: Subscriber):
    client = sign_in(alice)
    first = my_account(client)  # kept rendered
    cache = caches["pages"]
    reads: list[list[str]] = []
    get, get_many = cache.get, cache.get_many

    def read_one(key: str, *args: Any, **kwargs: Any) -> Any:
        reads.append([key])
        return get(key, *args, **kwargs)

    def read_many(keys: list[str], *args: Any, **kwargs: Any) -> Any:
        reads.append(list(keys))
        # Some backends read many keys one by one: one round trip still, for Redis.
        with mock.patch.object(cache, "get", get):
            return get_many(keys, *args, **kwargs)

    with mock.patch.object(cache, "get", read_one), mock.patch.object(cache, "get_many", read_many):
        again = my_account(client)
    assert again.split("csrfmiddlewaretoken")[0] == first.split("csrfmiddlewaretoken")[0]
    assert len(reads) == 1
    session = SessionStore(client.cookies["sessionid"].value)
    assert session.cache_key in reads[0]


def test_it_shows_the_signed_in_account_whatever_the_hint_says(alice: Subscriber, bob: Subscriber):
    bobs = sign_in(bob)
    assert "(310) 555-0100" in my_account(bobs)  # Bob's page is kept
    alices = sign_in(alice)
    my_account(alices)
    alices.cookies[ACCOUNT_HINT_COOKIE_NAME] = str(bob.user.pk)

    page = my_account(alices)

    assert "(212) 555-0147" in page and "(310) 555-0100" not in page
    hint = hint_of(alices)
    assert hint is not None and hint.value == str(alice.user.pk)  # set right again
    alices.cookies[ACCOUNT_HINT_COOKIE_NAME] = "not a number"
    assert "(212) 555-0147" in my_account(alices)


def test_it_reads_the_session_from_the_database_when_the_cache_lost_it(alice: Subscriber):
    client = sign_in(alice)
    my_account(client)
    caches["pages"].delete(SessionStore(client.cookies["sessionid"].value).cache_key)
    assert "(212) 555-0147" in my_account(client)


def test_it_deletes_the_hint_when_the_browser_signs_out(alice: Subscriber):
    client = sign_in(alice)
    my_account(client)
    assert client.post("/accounts/logout/").status_code == 302
    hint = hint_of(client)
    assert hint is not None and hint.value == "" and hint["max-age"] == 0
    assert client.get("/").status_code == 302  # signed out


def test_it_gives_the_request_the_user_itself_once_read(alice: Subscriber):
    response = sign_in(alice).get("/")
    user = response.wsgi_request.user
    assert type(user) is User and not isinstance(user, SimpleLazyObject)
    assert user.pk == alice.user.pk
    anonymous = Client().get("/help/").wsgi_request.user
    assert not anonymous.is_authenticated
