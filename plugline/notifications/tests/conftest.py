import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """The personas' passwords play no part here; Argon2 would take 0.2 s per persona."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
