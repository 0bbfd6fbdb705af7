""" "Close my account": a confirmation step, then the account is gone and the rule is kept."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core import mail
from django.db.models import ProtectedError
from django.test import Client

from conftest import Subscriber
from plugline.accounts import closing
from plugline.accounts.models import User
from plugline.core.models import AuditAction, AuditEvent
from plugline.core.services import audit_record
from plugline.notifications.models import OutboxMessage
from plugline.notifications.services import email_send, outbox_deliver

CLOSE = "/account/privacy/close/"
CLOSED = "/account/closed/"
LOGIN = "/accounts/login/"


def sign_in(client: Client, identifier: str, password: str) -> int:
    return client.post(LOGIN, {"login": identifier, "password": password}).status_code


def close(client: Client, password: str, confirm: bool = True, **extra):
    data = {"password": password}
    if confirm:
        data["confirm"] = "on"
    return client.post(CLOSE, data, **extra)


def test_it_asks_for_the_password_and_a_confirmation(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    assert CLOSE in client.get("/account/privacy/").content.decode()
    page = client.get(CLOSE).content.decode()
    assert 'type="password" name="password"' in page
    assert 'autocomplete="current-password"' in page
    assert 'type="checkbox" name="confirm"' in page
    assert "I understand that my account is closed for good" in page
    assert "We keep your payments and invoices" in page


def test_it_keeps_the_account_when_the_password_is_wrong(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    response = close(client, "not my password")
    assert response.status_code == 200
    page = response.content.decode()
    assert "That is not your password. Type the password you sign in with." in page
    assert 'name="confirm" required id="id_confirm" checked' in page  # the tick is kept
    assert User.objects.filter(pk=alice.user.pk).exists()
    assert client.get("/account/").status_code == 200  # still signed in


def test_it_keeps_the_account_when_the_box_is_not_ticked(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    response = close(client, alice.password, confirm=False)
    assert response.status_code == 200
    assert (
        "Tick the box to confirm that you want to close your account." in response.content.decode()
    )
    # The message is tied to the box for screen readers.
    page = response.content.decode()
    assert 'aria-describedby="id_confirm_error"' in page
    assert 'id="id_confirm_error"' in page
    assert User.objects.filter(pk=alice.user.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_CLOSED).exists()


def test_it_keeps_the_account_when_nothing_is_typed(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    page = close(client, "", confirm=False).content.decode()
    assert "Type your password to close your account." in page
    assert User.objects.filter(pk=alice.user.pk).exists()


def test_it_closes_the_account_signs_out_and_says_so(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    response = close(client, alice.password)
    assert response.status_code == 302
    assert response["Location"] == CLOSED
    page = client.get(CLOSED).content.decode()
    assert "Your account is closed" in page
    assert "Sign in" in page  # the top bar of a visitor
    assert not User.objects.filter(pk=alice.user.pk).exists()
    assert client.get("/account/")["Location"].startswith(LOGIN)
    # Signing out a deleted account logs no sign-out for nobody.
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_OUT).exists()


def test_it_refuses_the_old_credentials_afterwards(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    close(client, alice.password)
    for identifier in (alice.email, "(212) 555-0147"):
        assert sign_in(Client(), identifier, alice.password) == 200  # the form again


def test_it_deletes_the_emails_sessions_and_two_factor_of_the_account(
    alice: Subscriber, bob: Subscriber, client: Client
):
    EmailAddress.objects.create(user=alice.user, email="alice@work.example", verified=True)
    other_browser = Client()
    assert sign_in(other_browser, alice.email, alice.password) == 302
    assert sign_in(client, alice.email, alice.password) == 302
    TOTP.activate(alice.user, generate_totp_secret())
    RecoveryCodes.activate(alice.user)
    TOTP.activate(bob.user, generate_totp_secret())
    session_keys = list(UserSession.objects.filter(user=alice.user).values_list("session_key"))
    assert len(session_keys) == 2

    close(client, alice.password)

    assert not EmailAddress.objects.filter(email__contains="alice").exists()
    assert list(Authenticator.objects.values_list("user_id", flat=True)) == [bob.user.pk]
    assert not UserSession.objects.exists()
    assert not Session.objects.filter(session_key__in=[key for (key,) in session_keys]).exists()
    # The other browser is signed out too.
    assert other_browser.get("/account/")["Location"].startswith(LOGIN)
    assert EmailAddress.objects.filter(email=bob.email).exists()


def test_it_deletes_the_emails_sent_to_the_account(
    alice: Subscriber, bob: Subscriber, client: Client
):
    for user in (alice.user, bob.user):
        email_send(
            template="accounts/email/account_closed",
            to=user.email,
            context={"name": "x", "email": user.email},
            language="en",
            user=user,
        )
    # A notice to an address of the account, queued without a link to it.
    email_send(
        template="accounts/email/account_closed",
        to="ALICE@example.com",
        context={"name": "x", "email": "x"},
        language="en",
    )
    client.force_login(alice.user)
    close(client, alice.password)

    remaining = OutboxMessage.objects.order_by("id")
    assert [(m.to_email, m.template) for m in remaining] == [
        ("bob@example.com", "accounts/email/account_closed"),
        ("alice@example.com", "accounts/email/account_closed"),  # the confirmation
    ]
    assert remaining.last().user is None  # type: ignore[union-attr]


def test_it_sends_a_confirmation_to_the_preferred_email_that_outlives_the_account(
    alice: Subscriber, client: Client
):
    EmailAddress.objects.filter(user=alice.user).update(primary=False)
    EmailAddress.objects.create(
        user=alice.user, email="alice@work.example", verified=True, primary=True
    )
    User.objects.filter(pk=alice.user.pk).update(email="alice@work.example")
    client.force_login(alice.user)
    close(client, alice.password)

    message = OutboxMessage.objects.get()
    assert message.user is None
    assert message.to_email == "alice@work.example"
    assert message.subject == "Your Plugline account is closed"
    assert "Hello Alice," in message.body_text
    assert "Your Plugline account (alice@work.example) has been closed" in message.body_text

    assert outbox_deliver(message_id=message.pk) is True
    [sent] = mail.outbox
    assert sent.to == ["alice@work.example"]
    assert sent.subject == "Your Plugline account is closed"


def test_it_writes_the_confirmation_in_the_accounts_language(bob: Subscriber, client: Client):
    client.force_login(bob.user)
    close(client, bob.password)
    message = OutboxMessage.objects.get()
    assert message.language == "fr"
    assert message.to_email == "bob@example.com"


def test_it_keeps_the_audit_log_unlinked_from_the_person(
    alice: Subscriber, bob: Subscriber, client: Client
):
    failed = audit_record(
        action=AuditAction.SIGN_IN_FAILED,
        user=alice.user,
        identifier="alice@example.com",
        data={"reason": "credentials"},
    )
    added = audit_record(
        action=AuditAction.EMAIL_ADDED, user=alice.user, data={"email": "Alice@Example.com"}
    )
    of_bob = audit_record(action=AuditAction.SIGN_IN, user=bob.user, identifier=bob.email)
    client.force_login(alice.user)
    close(client, alice.password, REMOTE_ADDR="203.0.113.20", HTTP_USER_AGENT="Test browser")

    closed = AuditEvent.objects.get(action=AuditAction.ACCOUNT_CLOSED)
    assert (closed.user, closed.subject_id) == (None, alice.user.pk)
    assert (closed.ip_address, closed.user_agent) == ("203.0.113.20", "Test browser")
    trail = AuditEvent.objects.filter(subject_id=alice.user.pk)
    assert set(trail.values_list("action", flat=True)) == {
        AuditAction.SIGN_IN_FAILED,
        AuditAction.EMAIL_ADDED,
        AuditAction.SIGN_IN,  # force_login
        AuditAction.DEVICE_RELEASED,  # her device leaves the account
        AuditAction.SIP_CREDENTIALS_ROTATED,  # with new SIP credentials for its next owner
        AuditAction.ACCOUNT_CLOSED,
    }
    assert not trail.filter(user__isnull=False).exists()
    assert not trail.exclude(identifier="").exists()
    failed.refresh_from_db()
    added.refresh_from_db()
    assert failed.data == {"reason": "credentials"}
    assert added.data == {"email": ""}
    of_bob.refresh_from_db()
    assert (of_bob.user, of_bob.identifier) == (bob.user, bob.email)


def test_it_leaves_everything_as_it_was_when_a_step_fails(
    alice: Subscriber, client: Client, monkeypatch: pytest.MonkeyPatch
):
    # Without the devices app's hook, the device (on_delete=PROTECT) stops the deletion.
    monkeypatch.setattr(closing, "_hooks", [])
    EmailAddress.objects.create(user=alice.user, email="alice@work.example", verified=True)
    client.force_login(alice.user)
    client.raise_request_exception = True
    with pytest.raises(ProtectedError):
        close(client, alice.password)
    assert User.objects.filter(pk=alice.user.pk).exists()
    assert EmailAddress.objects.filter(user=alice.user).count() == 2
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_CLOSED).exists()
    assert not OutboxMessage.objects.exists()
    assert AuditEvent.objects.get(action=AuditAction.SIGN_IN).user == alice.user
    assert client.get("/account/").status_code == 200


def test_it_limits_password_guesses(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    statuses = [close(client, f"guess {n}").status_code for n in range(11)]
    assert statuses == [200] * 10 + [429]
    assert close(client, alice.password).status_code == 429
    assert User.objects.filter(pk=alice.user.pk).exists()


def test_it_asks_a_visitor_to_sign_in(db: None, client: Client):
    assert client.get(CLOSE)["Location"].startswith(LOGIN)
    assert client.post(CLOSE, {"password": "x", "confirm": "on"})["Location"].startswith(LOGIN)
