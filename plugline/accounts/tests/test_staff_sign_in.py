"""Staff sign in through the portal's sign-in, never with a password alone on the admin's form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from conftest import PASSWORD, Subscriber
from plugline.accounts.models import User
from plugline.accounts.tests.test_two_factor import totp_code
from plugline.core.models import AuditAction, AuditEvent

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

ADMIN = "/admin/"
ADMIN_LOGIN = "/admin/login/"
LOGIN = "/accounts/login/"
AUTHENTICATE = "/accounts/2fa/authenticate/"
THROTTLED = "Too many failed login attempts"


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def admin_login_post(client: Client, password: str) -> _MonkeyPatchedWSGIResponse:
    return client.post(
        f"{ADMIN_LOGIN}?next={ADMIN}",
        {"username": "staff@example.com", "password": password, "next": ADMIN},
    )


@pytest.fixture
def frozen() -> Iterator[None]:
    # The start of a 30-second TOTP window: the code stays valid for the whole test.
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def staff_secret(staff: User, frozen: None) -> str:
    """The staff member has two-factor sign-in on; their authenticator app's secret."""
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    return secret


def test_it_opens_no_session_on_the_admins_form_even_with_the_right_password(
    client: Client, staff: User, staff_secret: str
):
    response = admin_login_post(client, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={quote(ADMIN, safe='')}"
    assert not signed_in(client)
    assert client.get(ADMIN)["Location"].startswith(ADMIN_LOGIN)
    assert client.get("/account/")["Location"].startswith(LOGIN)
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN).exists()


def test_it_sends_staff_through_the_password_and_the_code_into_the_admin(
    client: Client, staff: User, staff_secret: str
):
    to_admin_login = client.get(ADMIN)["Location"]
    to_sign_in = client.get(to_admin_login)["Location"]
    assert to_sign_in == f"{LOGIN}?next={quote(ADMIN, safe='')}"

    response = client.post(to_sign_in, {"login": staff.email, "password": PASSWORD})
    assert response["Location"] == AUTHENTICATE
    assert not signed_in(client)
    assert client.get(ADMIN).status_code == 302

    response = client.post(AUTHENTICATE, {"code": totp_code(staff_secret)})
    assert response["Location"] == ADMIN
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get(ADMIN).status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN, user=staff).count() == 1


def test_it_throttles_password_guessing_that_starts_at_the_admins_form(client: Client, staff: User):
    guesses = [admin_login_post(client, f"guess {attempt}") for attempt in range(150)]
    right = admin_login_post(client, PASSWORD)

    # The admin's form checks nothing: every try is sent to the sign-in page.
    assert {(guess.status_code, guess["Location"]) for guess in guesses} == {
        (302, f"{LOGIN}?next={quote(ADMIN, safe='')}")
    }
    assert right.status_code == 302
    assert not signed_in(client)

    # Where it is sent, the 11th failed try for the account is refused, the right password too.
    sign_in_url = right["Location"]
    answers = [
        client.post(sign_in_url, {"login": staff.email, "password": f"guess {attempt}"})
        for attempt in range(10)
    ]
    throttled = client.post(sign_in_url, {"login": staff.email, "password": PASSWORD})

    assert all(answer.status_code == 200 for answer in answers)
    assert THROTTLED in throttled.content.decode()
    assert not signed_in(client)
    assert AuditEvent.objects.filter(
        action=AuditAction.SIGN_IN_FAILED, user=staff, data__reason="throttled"
    ).exists()


def test_it_keeps_an_account_locked_by_the_portal_out_of_the_admin(client: Client, staff: User):
    for attempt in range(10):
        client.post(LOGIN, {"login": staff.email, "password": f"guess {attempt}"})

    admin_login_post(client, PASSWORD)

    assert not signed_in(client)
    assert client.get(ADMIN).status_code == 302


def test_it_sends_signed_in_staff_on_to_the_admin(staff_client: Client):
    response = staff_client.get(f"{ADMIN_LOGIN}?next=/admin/core/auditevent/")

    assert response["Location"] == "/admin/core/auditevent/"
    assert staff_client.get(f"{ADMIN_LOGIN}?next=https://evil.example/")["Location"] == ADMIN


def test_it_tells_a_signed_in_subscriber_the_admin_is_not_for_them(
    alice: Subscriber, client: Client
):
    client.force_login(alice.user)

    response = client.get(ADMIN, follow=True)

    assert response.redirect_chain[-1][0] == "/"
    assert "Your account cannot open the back office." in response.content.decode()
    assert signed_in(client)


def test_it_changes_a_staff_password_on_the_portals_page(staff_client: Client):
    response = staff_client.get("/admin/password_change/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/"


def _password_login_routes() -> list[str]:
    """The paths of every route to a view that signs in with a password alone."""
    from django.contrib.admin import AdminSite
    from django.contrib.auth.views import LoginView
    from django.urls import URLPattern, URLResolver, get_resolver

    found: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
                continue
            view = pattern.callback
            view_class = getattr(view, "view_class", None)
            if getattr(view, "__func__", None) is AdminSite.login or (
                isinstance(view_class, type) and issubclass(view_class, LoginView)
            ):
                found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return found


def test_it_reaches_no_password_only_sign_in_page(db: None):
    from django.contrib.admin import AdminSite
    from django.contrib.auth.views import LoginView
    from django.urls import resolve

    routes = _password_login_routes()
    assert "/admin/login/" in routes  # the admin still has its page, behind ours

    for route in routes:
        view = resolve(route).func
        assert getattr(view, "__func__", None) is not AdminSite.login, route
        assert not issubclass(getattr(view, "view_class", object), LoginView), route
