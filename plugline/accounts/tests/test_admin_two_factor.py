"""The Django admin opens only to staff whose session was signed in with two-factor."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from conftest import sign_in_with_two_factor
from plugline.accounts.models import User


def test_it_refuses_the_admin_to_staff_signed_in_without_two_factor(
    client: Client, staff: User
) -> None:
    client.force_login(staff)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    # The admin's login page sends them to turn two-factor on, not back to the admin.
    onward = client.get(response["Location"])
    assert onward.status_code == 302
    assert onward["Location"].startswith(reverse("mfa_activate_totp"))


def test_it_asks_staff_with_two_factor_for_their_code_when_the_session_did_not_use_it(
    client: Client, staff: User
) -> None:
    sign_in_with_two_factor(Client(), staff)  # two-factor on, in another browser
    client.force_login(staff)
    onward = client.get(client.get(reverse("admin:index"))["Location"])
    assert onward["Location"].startswith(reverse("mfa_reauthenticate"))


def test_it_opens_the_admin_to_staff_signed_in_with_two_factor(client: Client, staff: User) -> None:
    sign_in_with_two_factor(client, staff)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:billing_payment_changelist")).status_code == 200
