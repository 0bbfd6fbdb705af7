from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber, make_subscriber


def test_it_lists_the_accounts_devices_and_numbers(bob: Subscriber, client: Client):
    client.force_login(bob.user)
    page = client.get("/").content.decode()
    assert "Mon compte" in page  # Bob reads the portal in French
    assert "(310) 555-0100" in page
    assert "(416) 555-0148" in page
    assert bob.devices[0].serial in page


def test_it_shows_only_the_signed_in_accounts_devices(
    alice: Subscriber, bob: Subscriber, client: Client
):
    client.force_login(alice.user)
    page = client.get("/").content.decode()
    assert "(212) 555-0147" in page
    assert "(310) 555-0100" not in page
    assert bob.devices[0].serial not in page


def test_it_says_so_when_there_is_no_device(db: None, client: Client):
    newcomer = make_subscriber("new@example.com", numbers=())
    client.force_login(newcomer.user)
    assert "There is no device on your account yet." in client.get("/").content.decode()


def test_it_loads_with_the_same_number_of_queries_for_one_or_many_devices(db: None, client: Client):
    one = make_subscriber("one@example.com", numbers=("+12125550101",))
    many = make_subscriber(
        "many@example.com", numbers=tuple(f"+1212555{n:04d}" for n in range(110, 130))
    )
    counts = []
    for subscriber in (one, many):
        client.force_login(subscriber.user)
        client.get("/")  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
