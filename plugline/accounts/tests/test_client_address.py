"""Sign-in behind the operator's proxy: the client's address, as the proxy writes it."""

from __future__ import annotations

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client

from conftest import Subscriber
from plugline.core.models import AuditAction, AuditEvent

LOGIN = "/accounts/login/"
MISMATCH = "The email or phone number and password you entered do not match an account."


def sign_in_through_proxy(client: Client, forwarded_for: str, identifier: str, password: str):
    return client.post(
        LOGIN,
        {"login": identifier, "password": password},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.parametrize(
    ("forwarded_for", "address"),
    [
        ("1.2.3.4:80", "1.2.3.4"),
        ("1.2.3.4", "1.2.3.4"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("10.9.9.9, 1.2.3.4:80", "1.2.3.4"),
    ],
)
def test_it_signs_in_and_records_the_address_the_proxy_forwards(
    alice: Subscriber, client: Client, settings, forwarded_for: str, address: str
):
    settings.TRUSTED_PROXY_COUNT = 1

    response = sign_in_through_proxy(client, forwarded_for, alice.email, alice.password)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.user.pk)
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN)
    assert event.ip_address == address
    assert UserSession.objects.get(user=alice.user).ip == address


@pytest.mark.parametrize("forwarded_for", ["not-an-ip", "1.2.3.4:http", "[nonsense]:80", " "])
def test_it_falls_back_to_the_connections_address_when_the_header_is_garbage(
    alice: Subscriber, client: Client, settings, forwarded_for: str
):
    settings.TRUSTED_PROXY_COUNT = 1

    wrong = sign_in_through_proxy(client, forwarded_for, alice.email, "not the password")
    right = sign_in_through_proxy(client, forwarded_for, alice.email, alice.password)

    assert wrong.status_code == 200
    assert MISMATCH in wrong.content.decode()
    assert right.status_code == 302
    addresses = set(AuditEvent.objects.values_list("ip_address", flat=True))
    assert addresses == {"127.0.0.1"}


def test_it_limits_failed_sign_ins_per_forwarded_client_not_per_proxy(
    db: None, client: Client, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    # Different unknown identifiers: only the limit per address (30 a minute) applies.
    for attempt in range(30):
        response = sign_in_through_proxy(
            client, f"1.2.3.4:{1000 + attempt}", f"nobody{attempt}@example.com", "guess"
        )
        assert MISMATCH in response.content.decode()

    same_client = sign_in_through_proxy(client, "1.2.3.4:2000", "someone@example.com", "guess")
    other_client = sign_in_through_proxy(client, "5.6.7.8:2000", "someone@example.com", "guess")

    assert same_client.status_code == 429
    assert other_client.status_code == 200
    assert MISMATCH in other_client.content.decode()
