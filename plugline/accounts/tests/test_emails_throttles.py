"""Limits on the Emails page: per account on changes, per address on confirmation links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from conftest import Subscriber
from plugline.accounts.tests.email_steps import (
    EMAILS,
    NEW_EMAIL,
    act_on,
    add_email,
    messages_to,
    page_messages,
    signed_in_browser,
)

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
CONFIRMATION = "account/email/email_confirmation"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def addresses_on_page(client: Client) -> set[str]:
    return {email.address for email in client.get(EMAILS).context["emails"]}


def links_sent_to(address: str) -> int:
    return len(messages_to(address, CONFIRMATION))


def recently_sent(address: str) -> str:
    return (
        f"We sent a link to {address} a few minutes ago, and it still works: look for it in "
        "that mailbox, spam folder included. You can ask for a new one in a few minutes."
    )


def test_an_account_makes_ten_email_changes_a_minute(
    alice: Subscriber, bob: Subscriber, clock: time_machine.Traveller
):
    client = signed_in_browser(alice)
    for _ in range(10):
        assert act_on(client, "remove", alice.email, follow=False).status_code == 302
    refused = act_on(client, "remove", alice.email, follow=False)
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert add_email(client, NEW_EMAIL, follow=False).status_code == 429
    assert NEW_EMAIL not in addresses_on_page(client)

    # Another account is not held back; the page itself still opens.
    assert act_on(signed_in_browser(bob), "remove", bob.email, follow=False).status_code == 302
    assert client.get(EMAILS).status_code == 200

    clock.shift(timedelta(seconds=61))
    assert add_email(client, NEW_EMAIL, follow=False).status_code == 302


def test_an_account_makes_thirty_email_changes_an_hour(
    alice: Subscriber, clock: time_machine.Traveller
):
    client = signed_in_browser(alice)
    for _ in range(3):
        for _ in range(10):
            assert act_on(client, "remove", alice.email, follow=False).status_code == 302
        clock.shift(timedelta(seconds=61))
    assert act_on(client, "remove", alice.email, follow=False).status_code == 429

    clock.shift(timedelta(hours=1))
    client = signed_in_browser(alice)  # "Confirm it is you" lasts five minutes
    assert act_on(client, "remove", alice.email, follow=False).status_code == 302


def test_a_link_is_sent_again_to_an_address_after_three_minutes(
    alice: Subscriber, clock: time_machine.Traveller
):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    assert links_sent_to(NEW_EMAIL) == 1

    again = act_on(client, "send", NEW_EMAIL)
    assert page_messages(again) == [recently_sent(NEW_EMAIL)]
    assert links_sent_to(NEW_EMAIL) == 1

    # Removed and added again: still no second link so soon.
    act_on(client, "remove", NEW_EMAIL)
    readded = add_email(client, NEW_EMAIL)
    assert recently_sent(NEW_EMAIL) in page_messages(readded)
    assert links_sent_to(NEW_EMAIL) == 1

    clock.shift(timedelta(minutes=3, seconds=1))
    later = act_on(client, "send", NEW_EMAIL)
    assert page_messages(later) == [
        f"We sent a link to {NEW_EMAIL}. Open it to confirm the email; until then, it cannot "
        "be used."
    ]
    assert links_sent_to(NEW_EMAIL) == 2


def test_an_address_gets_five_links_a_day(alice: Subscriber, clock: time_machine.Traveller):
    client = signed_in_browser(alice)
    add_email(client, NEW_EMAIL)
    for _ in range(4):
        clock.shift(timedelta(minutes=4))
        act_on(client, "send", NEW_EMAIL)
    assert links_sent_to(NEW_EMAIL) == 5

    clock.shift(timedelta(minutes=4))
    refused = act_on(client, "send", NEW_EMAIL)
    assert page_messages(refused) == [recently_sent(NEW_EMAIL)]
    assert links_sent_to(NEW_EMAIL) == 5

    clock.shift(timedelta(days=1))
    act_on(client, "send", NEW_EMAIL)
    assert links_sent_to(NEW_EMAIL) == 6


def test_the_limit_per_address_holds_across_accounts(
    alice: Subscriber, bob: Subscriber, clock: time_machine.Traveller
):
    add_email(signed_in_browser(alice), "shared@example.org")
    add_email(signed_in_browser(bob), "shared@example.org")
    assert links_sent_to("shared@example.org") == 1
