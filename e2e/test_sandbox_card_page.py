"""The sandbox gateway's hosted card page in a real browser: on a phone, with the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from e2e.helpers import tab_to
from e2e.test_device_page import assert_no_axe_violations, fits, type_into
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.sandbox_gateway.models import SandboxCard
from plugline.sandbox_gateway.tests.helpers import card_saved

BAD_NUMBER = "This card number is not valid: check it against the card."


@pytest.fixture
def card_page(live_server: LiveServer, db: None) -> tuple[SandboxGateway, str, str]:
    """(gateway, customer id, the hosted card page's URL) returning to the sign-in page."""
    gateway = SandboxGateway()
    customer_id = gateway.customer_create(email="alice@example.com", idempotency_key="c1")
    url = gateway.card_session_start(
        customer_id=customer_id, return_url=live_server.url + "/accounts/login/", verify=True
    )
    return gateway, customer_id, url


def test_a_cardholder_types_a_test_card_with_the_keyboard_and_goes_back_with_it(
    phone_page: Page, card_page: tuple[SandboxGateway, str, str]
) -> None:
    gateway, customer_id, url = card_page
    page = phone_page
    page.goto(url)
    expect(page.get_by_role("heading", name="Add a card", level=1)).to_be_visible()
    expect(page.get_by_text("This is the sandbox payment gateway")).to_be_visible()
    expect(page.get_by_text("4242 4242 4242 4242")).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, "card page")

    # A mistyped number is explained by its field; the rest is kept but the code.
    type_into(page, "Card number", "4242 4242 4242 4241")
    type_into(page, "Expiry date (MM/YY)", "12/34")
    type_into(page, "Security code (CVC)", "123")
    type_into(page, "Name on the card", "Alice Archer")
    page.keyboard.press("Enter")
    number = page.get_by_label("Card number", exact=True)
    expect(number).to_have_accessible_description(re.compile(re.escape(BAD_NUMBER)))
    expect(number).to_have_value("4242 4242 4242 4241")
    expect(page.get_by_label("Name on the card", exact=True)).to_have_value("Alice Archer")
    expect(page.get_by_label("Security code (CVC)", exact=True)).to_have_value("")
    expect(page.get_by_role("alert")).to_contain_text(BAD_NUMBER)
    assert fits(page)
    assert_no_axe_violations(page, "card refused")
    assert not SandboxCard.objects.exists()

    type_into(page, "Card number", "4242 4242 4242 4242")
    type_into(page, "Security code (CVC)", "123")
    tab_to(page, page.get_by_role("button", name="Save the card"), limit=10)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?session=cs_"))
    session_id = page.url.rsplit("session=", 1)[1]
    card = gateway.card_session_result(session_id=session_id, customer_id=customer_id)
    assert card is not None
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("Visa", "4242", 12, 2034)
    assert card.token.startswith("card_")


def test_a_declined_card_is_said_plainly_and_nothing_is_saved(
    page: Page, card_page: tuple[SandboxGateway, str, str]
) -> None:
    _, _, url = card_page
    page.goto(url)
    page.get_by_label("Card number", exact=True).fill("4000 0000 0000 0002")
    page.get_by_label("Expiry date (MM/YY)", exact=True).fill("04/31")
    page.get_by_label("Security code (CVC)", exact=True).fill("123")
    page.get_by_label("Name on the card", exact=True).fill("Alice Archer")
    page.get_by_role("button", name="Save the card").click()
    expect(page.get_by_role("alert")).to_have_text(
        "The bank declined this card. Nothing is saved: use another card."
    )
    assert_no_axe_violations(page, "card declined")
    assert not SandboxCard.objects.exists()


def test_the_cardholder_approves_a_payment_on_the_sandbox_bank_page(
    phone_page: Page, live_server: LiveServer, db: None
) -> None:
    gateway = SandboxGateway()
    customer_id = gateway.customer_create(email="alice@example.com", idempotency_key="c1")
    card = card_saved(gateway, customer_id, "4000 0027 6000 3184")
    result = gateway.charge(
        customer_id=customer_id,
        token=card.token,
        amount=2999,
        currency="USD",
        idempotency_key="pay-1",
        description="Plugline yearly plan",
    )
    page = phone_page
    back = live_server.url + "/accounts/login/"
    page.goto(f"{result.action_url}?return_url={back}")
    expect(page.get_by_role("heading", name="Approve this payment", level=1)).to_be_visible()
    expect(page.get_by_text("29.99 USD")).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, "authentication page")
    tab_to(page, page.get_by_role("button", name="Approve"), limit=10)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/accounts/login/\?charge={result.charge_id}$"))
    answer = gateway.charge_lookup(idempotency_key="pay-1")
    assert answer is not None and answer.outcome.value == "succeeded"
