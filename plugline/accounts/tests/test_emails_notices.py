"""Who hears of an email change, in which language, and what the audit log keeps."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Subscriber
from plugline.accounts.tests.email_steps import (
    NEW_EMAIL,
    RESET,
    act_on,
    add_email,
    confirm,
    confirmation_link,
    messages_to,
    signed_in_browser,
)
from plugline.core.models import AuditAction, AuditEvent
from plugline.notifications.models import OutboxMessage

ADDED = "account/email/email_added"
CHANGED = "account/email/email_changed"
DELETED = "account/email/email_deleted"
CONFIRMATION = "account/email/email_confirmation"
RESET_LINK = "account/email/password_reset_key"


def with_preferred(client: Client, address: str) -> None:
    """Add `address`, confirm it from its link and make it the preferred email."""
    add_email(client, address)
    confirm(client, address)
    act_on(client, "primary", address)


def test_adding_an_email_tells_the_preferred_email(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)

    [notice] = messages_to(alice.email, ADDED)
    assert notice.subject == "An email was added to your Plugline account"
    assert f"{NEW_EMAIL} was added to your Plugline account." in notice.body_text
    assert "Reset it now, then remove alice.new@example.org on your Emails page" in (
        notice.body_text
    )
    assert "Browser: " in notice.body_text
    assert notice.user == alice.user
    # The new address gets only its link, nothing else.
    assert [message.template for message in messages_to(NEW_EMAIL)] == [CONFIRMATION]


def test_a_new_preferred_email_is_announced_to_the_previous_one_and_to_itself(
    alice: Subscriber,
):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    confirm(client, NEW_EMAIL)
    act_on(client, "primary", NEW_EMAIL)

    [to_previous] = messages_to(alice.email, CHANGED)
    assert to_previous.subject == "Your preferred email for Plugline has changed"
    assert (
        f"The preferred email of your Plugline account is now {NEW_EMAIL}, instead of "
        f"{alice.email}." in to_previous.body_text
    )
    # The previous address is told how to take the account back, not to reset
    # the password (the link would now go to the new preferred email).
    assert f"make {alice.email} your preferred email again" in to_previous.body_text
    assert to_previous.user == alice.user

    [to_new] = messages_to(NEW_EMAIL, CHANGED)
    assert f"{NEW_EMAIL} is now the preferred email of your Plugline account" in (to_new.body_text)


def test_notices_follow_the_preferred_email(alice: Subscriber):
    client = signed_in_browser(alice)
    with_preferred(client, NEW_EMAIL)
    before = set(OutboxMessage.objects.values_list("id", flat=True))

    add_email(client, "alice.third@example.org")
    act_on(client, "remove", "alice.third@example.org")

    sent = OutboxMessage.objects.exclude(id__in=before).order_by("id")
    assert [(message.template, message.to_email) for message in sent] == [
        (CONFIRMATION, "alice.third@example.org"),
        (ADDED, NEW_EMAIL),
        (DELETED, NEW_EMAIL),
    ]


def test_removing_an_email_tells_the_preferred_email(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    act_on(client, "remove", NEW_EMAIL)

    [notice] = messages_to(alice.email, DELETED)
    assert notice.subject == "An email was removed from your Plugline account"
    assert f"{NEW_EMAIL} was removed from your Plugline account." in notice.body_text


@pytest.mark.parametrize("identifier", ["alice@example.com", NEW_EMAIL, "(212) 555-0147"])
def test_a_password_reset_link_goes_to_the_preferred_email(alice: Subscriber, identifier: str):
    with_preferred(signed_in_browser(alice), NEW_EMAIL)

    Client().post(RESET, {"email": identifier})

    [message] = OutboxMessage.objects.filter(template=RESET_LINK)
    assert message.to_email == NEW_EMAIL
    assert message.user == alice.user


def test_allauths_notices_go_to_the_preferred_email(alice: Subscriber):
    client = signed_in_browser(alice)
    with_preferred(client, NEW_EMAIL)

    client.post(
        "/accounts/password/change/",
        {
            "oldpassword": alice.password,
            "password1": "a long new passphrase",
            "password2": "a long new passphrase",
        },
    )

    [notice] = OutboxMessage.objects.filter(template="account/email/password_changed")
    assert notice.to_email == NEW_EMAIL
    assert notice.subject == "Your Plugline password was changed"


def test_email_messages_are_written_in_the_accounts_language(bob: Subscriber):
    # Bob reads French: so do the messages to any of his addresses.
    client = signed_in_browser(bob)
    with_preferred(client, "bob.new@example.org")

    sent = OutboxMessage.objects.all()
    assert {(message.template, message.to_email) for message in sent} == {
        (CONFIRMATION, "bob.new@example.org"),
        (ADDED, bob.email),
        (CHANGED, bob.email),
        (CHANGED, "bob.new@example.org"),
    }
    assert {message.language for message in sent} == {"fr"}
    assert {message.user for message in sent} == {bob.user}


def test_email_messages_read_in_french(bob: Subscriber):
    # Needs the French catalog compiled.
    client = signed_in_browser(bob)
    add_email(client, "bob.new@example.org")
    [link] = messages_to("bob.new@example.org")
    assert link.subject == "Confirmez votre adresse e-mail pour Plugline"
    [notice] = messages_to(bob.email, ADDED)
    assert notice.subject == "Une adresse e-mail a été ajoutée à votre compte Plugline"


def test_each_change_is_in_the_audit_log_with_no_secret(alice: Subscriber):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    link = confirmation_link(messages_to(NEW_EMAIL)[0])
    confirm(client, NEW_EMAIL)
    act_on(client, "primary", NEW_EMAIL)
    act_on(client, "primary", alice.email)
    act_on(client, "remove", NEW_EMAIL)
    act_on(client, "remove", alice.email)  # refused: not an event

    events = AuditEvent.objects.filter(
        action__in=[
            AuditAction.EMAIL_ADDED,
            AuditAction.EMAIL_VERIFIED,
            AuditAction.EMAIL_REMOVED,
            AuditAction.PREFERRED_EMAIL_CHANGED,
        ]
    ).order_by("id")
    assert [(event.action, event.data) for event in events] == [
        (AuditAction.EMAIL_ADDED, {"email": NEW_EMAIL}),
        (AuditAction.EMAIL_VERIFIED, {"email": NEW_EMAIL}),
        (AuditAction.PREFERRED_EMAIL_CHANGED, {"from": alice.email, "to": NEW_EMAIL}),
        (AuditAction.PREFERRED_EMAIL_CHANGED, {"from": NEW_EMAIL, "to": alice.email}),
        (AuditAction.EMAIL_REMOVED, {"email": NEW_EMAIL}),
    ]
    assert {event.user for event in events} == {alice.user}
    assert all(event.ip_address == "127.0.0.1" for event in events)
    key = link.rstrip("/").rsplit("/", 1)[-1]
    assert not any(key in str(event.data) for event in AuditEvent.objects.all())


def test_an_email_confirmed_from_another_browser_is_audited_on_the_account(alice: Subscriber):
    add_email(signed_in_browser(alice), NEW_EMAIL)
    Client().post(confirmation_link(messages_to(NEW_EMAIL)[0]))
    event = AuditEvent.objects.get(action=AuditAction.EMAIL_VERIFIED)
    assert event.user == alice.user
    assert event.data == {"email": NEW_EMAIL}
