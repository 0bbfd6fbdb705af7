from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Subscriber, make_subscriber
from plugline.core.models import AuditAction, AuditEvent

LOGIN = "/accounts/login/"
MISMATCH = "The email or phone number and password you entered do not match an account."


def sign_in(client: Client, identifier: str, password: str):
    return client.post(LOGIN, {"login": identifier, "password": password})


def test_it_shows_one_identifier_field_and_a_forgot_password_link(db: None, client: Client):
    page = client.get(LOGIN).content.decode()
    assert "Email or phone number" in page
    assert 'name="login"' in page and 'name="password"' in page
    assert "Log in" in page
    assert reverse("account_reset_password") in page
    assert 'href="/trial/">Start Trial</a>' in page  # the free trial's way in


def test_it_signs_in_by_email_in_any_case(alice: Subscriber, client: Client):
    response = sign_in(client, "  ALICE@Example.com ", alice.password)
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/").content.decode()
    assert "(212) 555-0147" in home


@pytest.mark.parametrize(
    "number", ["(212) 555-0147", "212-555-0147", "2125550147", "+1 212 555 0147"]
)
def test_it_signs_in_by_phone_number_in_common_formats(
    alice: Subscriber, client: Client, number: str
):
    response = sign_in(client, number, alice.password)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.user.pk)


def test_it_signs_in_by_any_device_number_of_the_account(bob: Subscriber, client: Client):
    assert sign_in(client, "(416) 555-0148", bob.password).status_code == 302
    assert client.session["_auth_user_id"] == str(bob.user.pk)


def test_it_refuses_a_number_that_belongs_to_no_device(alice: Subscriber, client: Client):
    response = sign_in(client, "(212) 555-0199", alice.password)
    assert response.status_code == 200
    assert MISMATCH in response.content.decode()


def test_it_answers_unknown_and_known_identifiers_the_same(alice: Subscriber, client: Client):
    wrong_password = sign_in(client, alice.email, "not the password").content.decode()
    unknown_email = sign_in(client, "nobody@example.com", "not the password").content.decode()
    unknown_number = sign_in(client, "(212) 555-0100", "not the password").content.decode()
    for page in (wrong_password, unknown_email, unknown_number):
        assert MISMATCH in page

    def strip(page: str) -> str:
        # Only the CSRF token and the echoed identifier may differ.
        import re

        page = re.sub(r'value="[^"]*"', 'value=""', page)
        return page

    assert strip(wrong_password) == strip(unknown_email) == strip(unknown_number)


def test_it_hashes_a_password_even_for_an_unknown_identifier(
    alice: Subscriber, client: Client, monkeypatch: pytest.MonkeyPatch
):
    # Equal work for known and unknown identifiers: no timing difference to exploit.
    from django.contrib.auth.hashers import Argon2PasswordHasher

    calls: list[str] = []
    original = Argon2PasswordHasher.encode

    def counting_encode(self, password, salt):
        calls.append("encode")
        return original(self, password, salt)

    original_verify = Argon2PasswordHasher.verify

    def counting_verify(self, password, encoded):
        calls.append("verify")
        return original_verify(self, password, encoded)

    monkeypatch.setattr(Argon2PasswordHasher, "encode", counting_encode)
    monkeypatch.setattr(Argon2PasswordHasher, "verify", counting_verify)
    sign_in(client, alice.email, "wrong password")
    known = len(calls)
    calls.clear()
    sign_in(client, "nobody@example.com", "wrong password")
    unknown = len(calls)
    assert known >= 1
    assert known == unknown


def test_it_throttles_the_11th_failed_sign_in_for_one_identifier(alice: Subscriber, client: Client):
    formats = ["(212) 555-0147", "2125550147", "+1 212 555 0147", "212-555-0147"]
    for attempt in range(10):
        # Different spellings of one number count against the same account,
        # and so do its emails.
        identifier = formats[attempt % 4] if attempt % 2 else alice.email
        response = sign_in(client, identifier, f"guess {attempt}")
        assert MISMATCH in response.content.decode()
    response = sign_in(client, alice.email, alice.password)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Too many failed login attempts" in page
    assert "_auth_user_id" not in client.session
    throttled = AuditEvent.objects.filter(
        action=AuditAction.SIGN_IN_FAILED, user=alice.user, data__reason="throttled"
    )
    assert throttled.exists()


def test_it_throttles_one_identifier_without_locking_out_others(alice: Subscriber, client: Client):
    other = make_subscriber("carol@example.com", numbers=("+13125550111",))
    for attempt in range(11):
        sign_in(client, alice.email, f"guess {attempt}")
    assert sign_in(client, other.email, other.password).status_code == 302


def test_it_records_sign_ins_and_failures_without_secrets(alice: Subscriber, client: Client):
    sign_in(client, "2125550147", "hunter2-wrong")
    sign_in(client, "not an identifier hunter2", "x")
    sign_in(client, alice.email, alice.password)
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == [
        AuditAction.SIGN_IN_FAILED,
        AuditAction.SIGN_IN_FAILED,
        AuditAction.SIGN_IN,
    ]
    assert events[0].user == alice.user
    assert events[0].identifier == "+12125550147"
    assert events[0].ip_address == "127.0.0.1"
    assert events[1].user is None
    assert events[1].identifier == ""  # free text is never kept
    assert events[2].user == alice.user
    dump = repr([(e.identifier, e.data, e.user_agent) for e in events])
    assert "hunter2" not in dump
    assert alice.password not in dump


def test_it_does_not_sign_in_a_deactivated_account(alice: Subscriber, client: Client):
    alice.user.is_active = False
    alice.user.save()
    assert sign_in(client, alice.email, alice.password).status_code == 200
    assert sign_in(client, "2125550147", alice.password).status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_signs_out(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_OUT, user=alice.user).exists()


def test_it_sends_anonymous_visitors_to_sign_in(db: None, client: Client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
