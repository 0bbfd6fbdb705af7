"""Step 3 of the activation wizard: a new account, or the device added to one's own."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client

from conftest import Subscriber
from plugline.accounts.models import User
from plugline.devices.tests.wizard_factory import NEW_PASSWORD, described_by, fresh, wizard_at

ACCOUNT = "/activate/account/"
ADDRESSES = "/activate/addresses/"

pytestmark = pytest.mark.django_db

NINA = {
    "first_name": "Nina",
    "last_name": "New",
    "email": "Nina@Example.com",
    "password1": NEW_PASSWORD,
    "password2": NEW_PASSWORD,
}


def test_it_offers_both_ways(client: Client):
    wizard_at(client, "account")
    page = client.get(ACCOUNT).content.decode()
    assert "Step 3 of 7" in page
    assert "Create an account" in page
    assert 'href="/accounts/login/?next=/activate/account/"' in page
    assert "If you already have an account with this email, sign in instead." in page


def test_it_keeps_the_new_accounts_password_only_as_a_hash(client: Client):
    activation = wizard_at(client, "account")
    response = client.post(ACCOUNT, NINA)
    assert response["Location"] == ADDRESSES
    activation = fresh(activation)
    assert activation.email == "nina@example.com"
    assert (activation.first_name, activation.last_name) == ("Nina", "New")
    assert NEW_PASSWORD not in activation.password_hash
    assert check_password(NEW_PASSWORD, activation.password_hash)
    # No account yet: the code must prove the email first.
    assert not User.objects.filter(email__iexact="nina@example.com").exists()


def test_it_refuses_a_common_password_with_the_reason(client: Client):
    wizard_at(client, "account")
    page = client.post(
        ACCOUNT, {**NINA, "password1": "password123", "password2": "password123"}
    ).content.decode()
    assert "This password is too common." in page
    assert 'value="Nina@Example.com"' in page
    assert described_by(page, "id_password1") == {"id_password1_error", "id_password1_helptext"}


def test_it_refuses_a_password_like_the_email(client: Client):
    wizard_at(client, "account")
    page = client.post(
        ACCOUNT,
        {
            **NINA,
            "email": "lanternorchard@example.com",
            "password1": "lanternorchard",
            "password2": "lanternorchard",
        },
    ).content.decode()
    assert "The password is too similar to the email." in page


def test_it_refuses_two_different_passwords(client: Client):
    wizard_at(client, "account")
    page = client.post(ACCOUNT, {**NINA, "password2": "something else"}).content.decode()
    assert "The two passwords differ." in page


def test_it_asks_for_every_detail(client: Client):
    wizard_at(client, "account")
    page = client.post(ACCOUNT, {}).content.decode()
    for message in (
        "Enter your first name.",
        "Enter your last name.",
        "Enter your email.",
        "Choose a password.",
    ):
        assert message in page


def test_it_does_not_tell_whether_an_email_has_an_account(client: Client, alice: Subscriber):
    wizard_at(client, "account")
    response = client.post(ACCOUNT, {**NINA, "email": alice.email})
    # Same as any email: on to the next step (the email itself tells alice to sign in).
    assert response["Location"] == ADDRESSES


def test_it_keeps_the_password_when_coming_back_to_change_the_name(client: Client):
    activation = wizard_at(client, "addresses")
    page = client.get(ACCOUNT).content.decode()
    assert 'value="Nina"' in page
    assert "Leave both password fields empty to keep the password you chose." in page
    response = client.post(
        ACCOUNT, {"first_name": "Nena", "last_name": "New", "email": "nina@example.com"}
    )
    assert response["Location"] == ADDRESSES
    activation = fresh(activation)
    assert activation.first_name == "Nena"
    assert check_password(NEW_PASSWORD, activation.password_hash)


def test_it_asks_a_signed_in_subscriber_to_confirm_their_account(client: Client, alice: Subscriber):
    activation = wizard_at(client, "account")
    client.force_login(alice.user)
    page = client.get(ACCOUNT).content.decode()
    assert f"You are signed in as {alice.email}." in page
    assert "Add this device to my account" in page
    assert client.post(ACCOUNT)["Location"] == ADDRESSES
    assert fresh(activation).user_id == alice.user.pk


def test_it_keeps_the_wizard_when_signing_in_from_it(client: Client, alice: Subscriber):
    activation = wizard_at(client, "account")
    response = client.post(
        "/accounts/login/?next=/activate/account/",
        {"login": alice.email, "password": alice.password, "next": ACCOUNT},
    )
    assert response["Location"] == ACCOUNT
    assert "Add this device to my account" in client.get(ACCOUNT).content.decode()
    client.post(ACCOUNT)
    activation = fresh(activation)
    assert activation.user_id == alice.user.pk
    # What was typed for a new account is gone.
    assert activation.email == activation.password_hash == ""


def test_it_asks_someone_who_signed_in_after_giving_a_new_account_which_to_use(
    client: Client, alice: Subscriber
):
    activation = wizard_at(client, "code")  # a new account's details given, code step
    client.force_login(alice.user)
    session = client.session
    session["plugline_activation"] = str(activation.pk)
    session.save()
    assert client.get("/activate/code/")["Location"] == ACCOUNT
    client.post(ACCOUNT)
    assert fresh(activation).user_id == alice.user.pk
    assert client.get("/activate/code/").status_code == 200


def test_it_keeps_another_persons_wizard_from_a_signed_in_subscriber(
    client: Client, alice: Subscriber, bob: Subscriber
):
    activation = wizard_at(client, "addresses", user=alice.user)
    client.force_login(bob.user)
    # bob's browser carries alice's wizard id (say, a shared computer): it is not his.
    session = client.session
    session["plugline_activation"] = str(activation.pk)
    session.save()
    assert client.get(ACCOUNT)["Location"] == "/activate/"
