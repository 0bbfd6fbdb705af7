"""Signing in with the account's other emails: confirmed ones only."""

from __future__ import annotations

from django.test import Client

from conftest import Subscriber
from plugline.accounts.tests.email_steps import (
    NEW_EMAIL,
    act_on,
    add_email,
    confirm,
    sign_in,
    signed_in,
    signed_in_browser,
)

REFUSAL = "The email or phone number and password you entered do not match an account."


def test_it_signs_in_with_a_confirmed_secondary_email(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    confirm(client, NEW_EMAIL)

    browser = Client()
    response = sign_in(browser, NEW_EMAIL.upper(), alice.password)
    assert response.status_code == 302
    assert signed_in(browser)
    assert int(browser.session["_auth_user_id"]) == alice.user.pk


def test_it_refuses_an_unconfirmed_email(alice: Subscriber):
    add_email(signed_in_browser(alice), NEW_EMAIL)

    browser = Client()
    response = sign_in(browser, NEW_EMAIL, alice.password)
    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    assert not signed_in(browser)


def test_it_refuses_a_removed_email(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    confirm(client, NEW_EMAIL)
    act_on(client, "remove", NEW_EMAIL)

    browser = Client()
    assert REFUSAL in sign_in(browser, NEW_EMAIL, alice.password).content.decode()
    assert not signed_in(browser)


def test_the_original_email_still_signs_in_once_another_is_preferred(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    confirm(client, NEW_EMAIL)
    act_on(client, "primary", NEW_EMAIL)

    for identifier in (alice.email, NEW_EMAIL):
        browser = Client()
        assert sign_in(browser, identifier, alice.password).status_code == 302
        assert signed_in(browser)
