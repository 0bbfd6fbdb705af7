"""Passwords are stored as argon2id of their NFKC form at full cost (the suite lowers the cost)."""

import unicodedata

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.test import Client

from conftest import make_subscriber
from plugline.accounts.models import User
from plugline.core.tests.hashers import QuickPlainArgon2PasswordHasher

FULL_COST = "argon2nfkc$argon2id$v=19$m=102400,t=2,p=8$"
# "Crème brûlée à Nørrebro": composed letters (NFC, as most keyboards send
# them) and the same letters as a base letter and a combining accent (NFD,
# as some phones and macOS send them).
NFC_PASSWORD = unicodedata.normalize("NFC", "Crème brûlée à Nørrebro")
NFD_PASSWORD = unicodedata.normalize("NFD", NFC_PASSWORD)


def sign_in(client: Client, identifier: str, password: str):
    return client.post("/accounts/login/", {"login": identifier, "password": password})


@pytest.mark.production_password_hashing
def test_it_stores_a_password_as_argon2id_at_full_cost(db):
    user = User.objects.create_user("carol@example.com", "a long household passphrase")

    assert user.password.startswith(FULL_COST)
    assert "a long household passphrase" not in user.password


@pytest.mark.production_password_hashing
def test_it_raises_a_cheaper_hash_to_full_cost_at_the_next_sign_in(db, settings):
    settings.PASSWORD_HASHERS = [
        "plugline.core.tests.hashers.QuickArgon2PasswordHasher",
        "plugline.accounts.hashers.Argon2PasswordHasher",
    ]
    user = User.objects.create_user("carol@example.com", "a long household passphrase")
    assert user.password.startswith("argon2nfkc$") and "m=1024,t=1,p=1$" in user.password
    settings.PASSWORD_HASHERS = [
        "plugline.accounts.hashers.NFKCArgon2PasswordHasher",
        "plugline.accounts.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]

    assert authenticate(email="carol@example.com", password="a long household passphrase")

    user.refresh_from_db()
    assert user.password.startswith(FULL_COST)


def test_it_signs_in_with_a_password_typed_with_other_code_points(db, client: Client):
    assert NFC_PASSWORD != NFD_PASSWORD
    carol = make_subscriber("carol@example.com", numbers=(), password=NFC_PASSWORD)

    response = sign_in(client, "carol@example.com", NFD_PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(carol.user.pk)


def test_it_signs_in_with_the_composed_form_of_a_password_set_decomposed(db, client: Client):
    carol = make_subscriber("carol@example.com", numbers=(), password=NFD_PASSWORD)

    assert sign_in(client, "carol@example.com", NFC_PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(carol.user.pk)


def test_it_still_refuses_a_different_password(db, client: Client):
    make_subscriber("carol@example.com", numbers=(), password=NFC_PASSWORD)

    without_accents = "Creme brulee a Norrebro"
    response = sign_in(client, "carol@example.com", without_accents)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_accepts_an_old_hash_typed_in_other_code_points_and_upgrades_it(
    db, client: Client, settings
):
    settings.PASSWORD_HASHERS = [
        "plugline.core.tests.hashers.QuickArgon2PasswordHasher",
        "plugline.accounts.hashers.Argon2PasswordHasher",
    ]
    carol = make_subscriber("carol@example.com", numbers=())
    # Stored before normalisation: Django's plain argon2 of the NFC password.
    old_hash = make_password(NFC_PASSWORD, hasher=QuickPlainArgon2PasswordHasher())
    assert old_hash.startswith("argon2$argon2id$")
    User.objects.filter(pk=carol.user.pk).update(password=old_hash)

    response = sign_in(client, "carol@example.com", NFD_PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(carol.user.pk)
    carol.user.refresh_from_db()
    assert carol.user.password.startswith("argon2nfkc$argon2id$")
    client.post("/accounts/logout/")
    assert sign_in(Client(), "carol@example.com", NFC_PASSWORD).status_code == 302
    assert sign_in(Client(), "carol@example.com", NFD_PASSWORD).status_code == 302
