"""Shared test personas. Each test gets fresh ones (no shared mutable state)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from plugline.accounts.models import User
from plugline.devices.models import Device
from plugline.devices.services import device_assign

PASSWORD = "correct horse battery"  # test persona only


@dataclass
class Subscriber:
    user: User
    password: str
    devices: list[Device]

    @property
    def email(self) -> str:
        return self.user.email


def make_subscriber(
    email: str = "alice@example.com",
    *,
    numbers: tuple[str, ...] = ("+12125550147",),
    language: str = "en",
    password: str = PASSWORD,
) -> Subscriber:
    user = User.objects.create_user(
        email, password, first_name="Alice", last_name="Archer", language=language
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    devices = [
        device_assign(serial=f"PLTEST{number[-7:]}", owner=user, phone_number=number)
        for number in numbers
    ]
    return Subscriber(user=user, password=password, devices=devices)


@pytest.fixture
def staff(db: None) -> User:
    """A staff member with every permission (a superuser), for the admin's pages."""
    staff = make_subscriber("staff@example.com", numbers=()).user
    staff.is_staff = staff.is_superuser = True
    staff.save()
    return staff


@pytest.fixture
def staff_client(client: Client, staff: User) -> Client:
    """The test client, signed in as `staff` with two-factor (the admin asks for it)."""
    sign_in_with_two_factor(client, staff)
    return client


@pytest.fixture(autouse=True)
def _quick_password_hashing(request: pytest.FixtureRequest) -> None:
    """Test accounts' passwords hashed with argon2 at small costs (argon2 still).

    A test marked `production_password_hashing` keeps the settings' hashers.
    """
    if "production_password_hashing" in request.keywords:
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["plugline.core.tests.hashers.QuickArgon2PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest) -> None:
    """Rate limits live in the cache, which outlives test transactions
    (Redis, and the database cache's table in tests that flush)."""
    if "django_db" not in request.keywords and not {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames):
        return
    from django.core.cache import caches

    request.getfixturevalue("_django_db_helper")
    # Rate limits, and the pages kept rendered (whose accounts' ids a new test may reuse).
    for alias in ("default", "pages"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the site's default language: a request made by the
    test before (as a French subscriber, say) leaves its language active in
    the thread, as it would in a worker between tasks."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def alice(db: None) -> Subscriber:
    """A subscriber with one device, number (212) 555-0147."""
    return make_subscriber()


@pytest.fixture
def bob(db: None) -> Subscriber:
    """Another subscriber, with two devices."""
    return make_subscriber(
        "bob@example.com", numbers=("+13105550100", "+14165550148"), language="fr"
    )


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend delivers to.

    Its `messages` are the emails it received, parsed.
    """
    from plugline.notifications.tests.smtp import running_smtp_server, use_smtp_server

    with running_smtp_server() as server:
        use_smtp_server(settings, host=server.host, port=server.port)
        yield server


STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # test persona only


def sign_in_with_two_factor(client: Client, user: User) -> None:
    """Sign `client` in as `user` as if with their password and an authenticator code.

    Turns two-factor on for `user` if it is not. Staff console pages open only
    to sessions signed in this way (`plugline.accounts.staff_access`).
    """
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, STAFF_TOTP_SECRET)
    client.force_login(user)
    session = client.session
    now = time.time()
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session.save()


@pytest.fixture
def console_client(client: Client, staff: User) -> Client:
    """The test client, signed in as `staff` (every permission) with two-factor."""
    sign_in_with_two_factor(client, staff)
    return client
