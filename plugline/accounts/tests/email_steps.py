"""What a subscriber does on the Emails page, as test steps (Django's test client)."""

from __future__ import annotations

import re

from django.test import Client

from conftest import Subscriber
from plugline.notifications.models import OutboxMessage

EMAILS = "/accounts/email/"
LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
REAUTHENTICATE = "/accounts/reauthenticate/"
RESET = "/accounts/password/reset/"
NEW_EMAIL = "alice.new@example.org"


def sign_in(client: Client, identifier: str, password: str):
    return client.post(LOGIN, {"login": identifier, "password": password})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def signed_in_browser(subscriber: Subscriber) -> Client:
    """A browser signed in as `subscriber`, who has just typed the password again.

    Changing emails asks for the password again ("Confirm it is you"), once
    every few minutes.
    """
    client = Client()
    assert sign_in(client, subscriber.email, subscriber.password).status_code == 302
    assert client.post(REAUTHENTICATE, {"password": subscriber.password}).status_code == 302
    client.get(EMAILS)  # shows (and so clears) "signed in" and other messages
    return client


def add_email(client: Client, address: str, *, follow: bool = True):
    return client.post(EMAILS, {"action_add": "", "email": address}, follow=follow)


def act_on(client: Client, action: str, address: str, *, follow: bool = True):
    """Press a button of one email's card: "primary", "send" or "remove"."""
    return client.post(EMAILS, {f"action_{action}": "", "email": address}, follow=follow)


def messages_to(address: str, template: str | None = None) -> list[OutboxMessage]:
    outbox = OutboxMessage.objects.filter(to_email__iexact=address).order_by("id")
    if template is not None:
        outbox = outbox.filter(template=template)
    return list(outbox)


def confirmation_link(message: OutboxMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def confirm(client: Client, address: str, *, follow: bool = True):
    """Open the last link sent to `address` and press "Confirm this email"."""
    link = confirmation_link(messages_to(address, "account/email/email_confirmation")[-1])
    page = client.get(link).content.decode()
    # The page asks before confirming; its form carries a fresh key (allauth
    # signs the key with the time, so it may differ from the link's by a second).
    assert '<form method="post" action="/accounts/confirm-email/' in page, "no confirm button"
    return client.post(link, follow=follow)


def page_messages(response) -> list[str]:
    """The messages shown at the top of the page a response ended on."""
    return [str(message) for message in response.context["messages"]]
