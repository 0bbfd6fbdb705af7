"""The developers' mailbox at /dev/mail/ exists only while DEBUG is on."""

from __future__ import annotations

from django.test import Client

from conftest import Subscriber
from plugline.notifications.models import OutboxMessage
from plugline.notifications.services import email_send


def write_email(subscriber: Subscriber) -> OutboxMessage:
    return email_send(
        template="account/email/password_reset_key",
        to=subscriber.email,
        context={
            "user": subscriber.user,
            "password_reset_url": "https://plugline.example/accounts/password/reset/key/1-x/",
            "reset_link_hours": 1,
        },
        language="en",
        user=subscriber.user,
    )


def test_it_is_not_there_when_debug_is_off(alice: Subscriber, client: Client, settings):
    settings.DEBUG = False
    message = write_email(alice)
    assert client.get("/dev/mail/").status_code == 404
    response = client.get(f"/dev/mail/{message.pk}/")
    assert response.status_code == 404
    assert "password/reset/key" not in response.content.decode()


def test_it_lists_and_shows_emails_when_debug_is_on(alice: Subscriber, client: Client, settings):
    settings.DEBUG = True
    message = write_email(alice)

    inbox = client.get("/dev/mail/")
    assert inbox.status_code == 200
    page = inbox.content.decode()
    assert "Reset your Plugline password" in page
    assert "alice@example.com" in page
    assert f'href="/dev/mail/{message.pk}/"' in page

    shown = client.get(f"/dev/mail/{message.pk}/").content.decode()
    assert "https://plugline.example/accounts/password/reset/key/1-x/" in shown
    assert client.get(f"/dev/mail/{message.pk + 1}/").status_code == 404
