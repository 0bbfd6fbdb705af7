"""The signed-in user is read from the cache of the account's pages, not the database, on
each request; a new password still signs the other browsers out at once, and so does
deactivating the account or deleting it, and the session is still checked as Django does."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber
from plugline.accounts.models import User

pytestmark = pytest.mark.django_db


def signed_in(subscriber: Subscriber) -> Client:
    client = Client()
    client.force_login(subscriber.user)
    assert client.get("/").status_code == 200
    return client


def test_it_reads_the_signed_in_user_from_the_cache(alice: Subscriber):
    client = signed_in(alice)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/account/").status_code == 200
    assert not [q for q in queries if 'FROM "accounts_user"' in q["sql"]]


def test_it_signs_out_the_other_browsers_when_the_password_changes(alice: Subscriber):
    other = signed_in(alice)
    user = User.objects.get(pk=alice.user.pk)
    user.set_password("a new and long passphrase")
    user.save()
    assert other.get("/").status_code == 302


def test_it_signs_out_a_deactivated_account_at_once(alice: Subscriber):
    client = signed_in(alice)
    user = User.objects.get(pk=alice.user.pk)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/").status_code == 302


def test_it_shows_the_new_name_on_every_page(alice: Subscriber):
    client = signed_in(alice)
    user = User.objects.get(pk=alice.user.pk)
    user.email = "alice.archer@example.com"
    user.save(update_fields=["email"])
    assert "alice.archer@example.com" in client.get("/account/").content.decode()


def test_it_signs_out_a_session_whose_password_hash_is_wrong(alice: Subscriber):
    client = signed_in(alice)
    session = client.session
    session["_auth_user_hash"] = "0" * 64
    session.save()
    assert client.get("/").status_code == 302
