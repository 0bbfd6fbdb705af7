"""Forgot password never tells whether an account exists."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import OpenPage
from plugline.notifications.models import OutboxMessage


def ask_for_a_reset_link(page: Page, identifier: str) -> str:
    """What the confirmation page says."""
    page.goto("/accounts/password/reset/")
    page.get_by_label("Email or phone number").fill(identifier)
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.get_by_role("heading", name="Check your email", level=1)).to_be_visible()
    return page.locator("main").inner_text()


def test_it_answers_an_unknown_identifier_with_the_same_confirmation(
    alice: Subscriber, open_page: OpenPage
) -> None:
    known, unknown = open_page(), open_page()

    known_says = ask_for_a_reset_link(known, alice.email)
    unknown_says = ask_for_a_reset_link(unknown, "nobody@example.com")
    phone_says = ask_for_a_reset_link(open_page(), "(917) 555-0199")

    assert unknown_says == known_says
    assert phone_says == known_says
    assert unknown.url == known.url
    assert list(OutboxMessage.objects.values_list("to_email", flat=True)) == [alice.email]
