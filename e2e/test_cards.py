"""The Cards page in a real browser: a phone, the keyboard alone, the sandbox's card page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import sign_in, tab_to
from e2e.test_device_page import assert_no_axe_violations, fits, type_into
from plugline.billing.models import PaymentMethod

VISA = "4242 4242 4242 4242"
MASTERCARD = "5555 5555 5555 4444"


def add_card_with_the_keyboard(page: Page, number: str) -> None:
    tab_to(page, page.get_by_role("button", name="Add a card"), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Add a card", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/sandbox-gateway/card/"))
    type_into(page, "Card number", number)
    type_into(page, "Expiry date (MM/YY)", "12/34")
    type_into(page, "Security code (CVC)", "123")
    type_into(page, "Name on the card", "Alice Archer")
    tab_to(page, page.get_by_role("button", name="Save the card"), limit=10)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/account/cards/$"))


def test_a_subscriber_adds_two_cards_makes_one_default_and_removes_the_other(
    alice: Subscriber, phone_page: Page
) -> None:
    page = phone_page
    sign_in(page, alice.email, alice.password)
    page.goto("/account/")
    tab_to(page, page.get_by_role("link", name="Manage your cards"), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Cards", level=1)).to_be_visible()
    expect(page.get_by_text("There is no card on your account yet.")).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, "no card yet")

    add_card_with_the_keyboard(page, VISA)
    expect(page.get_by_text("Visa ending in 4242 is saved on your account.")).to_be_visible()
    visa = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Visa"))
    expect(visa.get_by_role("heading", level=2)).to_have_accessible_name("Visa ending in 4242")
    expect(visa.get_by_text("Default")).to_be_visible()
    expect(visa.get_by_text("Expires 12/2034")).to_be_visible()

    add_card_with_the_keyboard(page, MASTERCARD)
    expect(page.get_by_text("Mastercard ending in 4444 is saved on your account.")).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, "two cards")

    tab_to(page, page.get_by_role("button", name="Make default Mastercard ending in 4444"), 60)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Mastercard ending in 4444 is now your default card.")).to_be_visible()
    assert PaymentMethod.objects.get(last4="4444").is_default

    tab_to(page, page.get_by_role("link", name="Remove Visa ending in 4242"), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Remove this card?", level=1)).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, "remove a card")
    tab_to(page, page.get_by_role("button", name="Remove the card"), limit=40)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Visa ending in 4242 is removed.")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=re.compile("ending in"))).to_have_count(1)
    assert list(
        PaymentMethod.objects.filter(removed_at__isnull=True).values_list("last4", flat=True)
    ) == ["4444"]
