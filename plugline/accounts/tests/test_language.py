from __future__ import annotations

from django.test import Client

from conftest import Subscriber
from plugline.accounts.models import User
from plugline.core.models import AuditAction, AuditEvent


def test_it_remembers_a_visitors_language_in_a_cookie(db: None, client: Client):
    response = client.post("/i18n/setlang/", {"language": "da", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies["plugline_language"].value == "da"
    assert client.get("/accounts/login/").headers["Content-Language"] == "da"


def test_it_stores_a_signed_in_users_choice_on_the_account(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert User.objects.get(pk=alice.user.pk).language == "fr"
    event = AuditEvent.objects.get(action=AuditAction.LANGUAGE_CHANGED)
    assert event.data == {"from": "en", "to": "fr"}


def test_the_accounts_language_follows_the_user_to_a_new_browser(bob: Subscriber):
    browser = Client()  # no language cookie, English preferred by the browser
    browser.post("/accounts/login/", {"login": bob.email, "password": bob.password})
    response = browser.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.headers["Content-Language"] == "fr"


def test_it_ignores_an_unknown_language(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert User.objects.get(pk=alice.user.pk).language == "en"


def test_a_language_chosen_before_signing_in_becomes_the_accounts(alice: Subscriber):
    browser = Client()
    browser.post("/i18n/setlang/", {"language": "da", "next": "/accounts/login/"})
    browser.post("/accounts/login/", {"login": alice.email, "password": alice.password})
    assert User.objects.get(pk=alice.user.pk).language == "da"
    assert browser.get("/").headers["Content-Language"] == "da"
    event = AuditEvent.objects.get(action=AuditAction.LANGUAGE_CHANGED)
    assert event.data == {"from": "en", "to": "da"}


def test_a_language_cookie_alone_does_not_change_the_accounts(bob: Subscriber):
    # A cookie left from an earlier visit is not a choice made now: the
    # account keeps the language the subscriber set there.
    browser = Client()
    browser.cookies["plugline_language"] = "en"
    browser.post("/accounts/login/", {"login": bob.email, "password": bob.password})
    assert User.objects.get(pk=bob.user.pk).language == "fr"
