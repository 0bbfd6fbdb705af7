from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.notifications.models import OutboxMessage

RESET = "/accounts/password/reset/"
NEW_PASSWORD = "a brand new passphrase"


def request_reset(client: Client, identifier: str):
    return client.post(RESET, {"email": identifier})


def reset_link(message: OutboxMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def set_new_password(client: Client, link: str, password: str = NEW_PASSWORD):
    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    return client.post(action, {"password1": password, "password2": password})


@pytest.mark.parametrize("identifier", ["alice@example.com", "(212) 555-0147", "+12125550147"])
def test_it_emails_a_reset_link_to_the_accounts_email(
    alice: Subscriber, client: Client, identifier: str
):
    response = request_reset(client, identifier)
    assert response.status_code == 302
    message = OutboxMessage.objects.get()
    assert message.to_email == "alice@example.com"
    assert message.user == alice.user
    assert alice.password not in message.body_text
    assert "The link works once, for 1 hour." in message.body_text
    assert reset_link(message) in message.body_html
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_RESET_REQUESTED)
    assert event.user == alice.user


def test_it_answers_the_same_for_unknown_identifiers(alice: Subscriber, client: Client):
    known = request_reset(client, "(212) 555-0147")
    unknown_number = request_reset(client, "(212) 555-0100")
    unknown_email = request_reset(client, "nobody@example.com")
    assert known.status_code == unknown_number.status_code == unknown_email.status_code == 302
    assert known.url == unknown_number.url == unknown_email.url
    done = client.get(known.url).content.decode()
    assert "If the email or phone number you entered belongs to an account" in done
    assert OutboxMessage.objects.count() == 1  # nothing is sent to strangers


def test_it_writes_the_email_in_the_account_holders_language(bob: Subscriber, client: Client):
    request_reset(client, bob.email)
    assert OutboxMessage.objects.get().language == "fr"


def test_the_link_sets_a_new_password_once(alice: Subscriber, client: Client):
    request_reset(client, alice.email)
    link = reset_link(OutboxMessage.objects.get())
    response = set_new_password(client, link)
    assert response.status_code == 302
    alice.user.refresh_from_db()
    assert alice.user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action=AuditAction.PASSWORD_RESET, user=alice.user).exists()

    again = Client().get(link, follow=True).content.decode()
    assert "This link no longer works" in again


def test_a_password_change_voids_earlier_links(alice: Subscriber, client: Client):
    request_reset(client, alice.email)
    link = reset_link(OutboxMessage.objects.get())
    alice.user.set_password("changed some other way")
    alice.user.save()
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_links_expire(alice: Subscriber, client: Client, settings):
    request_reset(client, alice.email)
    link = reset_link(OutboxMessage.objects.get())
    later = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with time_machine.travel(later):
        assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_a_new_password_signs_out_every_other_session(alice: Subscriber, client: Client):
    other_browser = Client()
    other_browser.post("/accounts/login/", {"login": alice.email, "password": alice.password})
    assert other_browser.get("/").status_code == 200

    request_reset(client, "2125550147")
    set_new_password(client, reset_link(OutboxMessage.objects.get()))

    assert other_browser.get("/").status_code == 302
    old = Client().post("/accounts/login/", {"login": alice.email, "password": alice.password})
    assert old.status_code == 200
    new = Client().post("/accounts/login/", {"login": alice.email, "password": NEW_PASSWORD})
    assert new.status_code == 302


def test_the_owner_can_reset_after_a_brute_force_lockout(alice: Subscriber, client: Client):
    attacker = Client()
    for attempt in range(11):
        attacker.post("/accounts/login/", {"login": "2125550147", "password": f"guess {attempt}"})
    locked = client.post("/accounts/login/", {"login": alice.email, "password": alice.password})
    assert "Too many failed login attempts" in locked.content.decode()

    request_reset(client, alice.email)
    set_new_password(client, reset_link(OutboxMessage.objects.get()))
    fresh = Client().post("/accounts/login/", {"login": alice.email, "password": NEW_PASSWORD})
    assert fresh.status_code == 302


def test_it_throttles_reset_requests_per_identifier(alice: Subscriber, client: Client):
    formats = ["(212) 555-0147", "2125550147", "+1 212 555 0147", "212-555-0147", "2125550147"]
    for identifier in formats:
        assert request_reset(client, identifier).status_code == 302
    throttled = request_reset(client, "(212) 555-0147")
    assert throttled.status_code == 429
    assert OutboxMessage.objects.count() == 5
