"""Passwords are stored as argon2id at full cost (the suite lowers the cost elsewhere)."""

import pytest
from django.contrib.auth import authenticate

from plugline.accounts.models import User


@pytest.mark.production_password_hashing
def test_it_stores_a_password_as_argon2id_at_full_cost(db):
    user = User.objects.create_user("carol@example.com", "a long household passphrase")

    assert user.password.startswith("argon2$argon2id$v=19$m=102400,t=2,p=8$")
    assert "a long household passphrase" not in user.password


@pytest.mark.production_password_hashing
def test_it_raises_a_cheaper_hash_to_full_cost_at_the_next_sign_in(db, settings):
    settings.PASSWORD_HASHERS = [
        "plugline.core.tests.hashers.QuickArgon2PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]
    user = User.objects.create_user("carol@example.com", "a long household passphrase")
    assert "m=1024,t=1,p=1$" in user.password
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]

    assert authenticate(email="carol@example.com", password="a long household passphrase")

    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=102400,t=2,p=8$")
