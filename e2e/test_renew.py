"""Renewing online in a real browser: one of two devices for a year with a new card typed on
the payment provider's page, the receipt in the developers' mailbox, the invoice's PDF; then a
declined card that changes nothing. On a phone, with the keyboard alone, no axe violation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from conftest import Subscriber, make_subscriber
from e2e.helpers import sign_in, tab_to
from e2e.test_accessibility import AXE_OPTIONS, describe
from plugline.billing.models import Payment, Plan, PlanPrice, Subscription, SubscriptionPeriod
from plugline.billing.periods import add_months

DECLINED_HERE = "The bank declined this card. Nothing is saved: use another card."
NOTHING_SAVED = "No card was saved, and nothing was charged. Try another card."


def fits(page: Page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def assert_accessible(page: Page, what: str) -> None:
    assert fits(page), f"{what} is wider than the screen"
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{what}:\n{describe(violations)}"


def press(page: Page, role: str, name: str, limit: int = 60) -> None:
    """Tab to a link or button and press Enter, as someone without a mouse would."""
    tab_to(page, page.get_by_role(role, name=name, exact=True), limit=limit)  # type: ignore[arg-type]
    page.keyboard.press("Enter")


def choose(page: Page, label: str, limit: int = 60) -> None:
    """Tab into the radio group, then arrow down to the choice, as a keyboard user does."""
    radio = page.get_by_role("radio", name=label)
    group = radio.get_attribute("name")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.name === {group!r}"):
            break
    else:
        raise AssertionError(f"Tab never reached the group of {label}")
    for _ in range(10):
        if radio.evaluate("element => element === document.activeElement"):
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(radio).to_be_checked()


def type_card(page: Page, number: str) -> None:
    for label, text in [
        ("Card number", number),
        ("Expiry date (MM/YY)", "12/34"),
        ("Security code (CVC)", "123"),
        ("Name on the card", "Demo Subscriber"),
    ]:
        field = page.get_by_label(label, exact=True)
        tab_to(page, field, limit=40)
        page.keyboard.type(text)
    press(page, "button", "Save the card", limit=10)


@pytest.fixture
def demo(db: None, settings: Settings) -> Subscriber:
    """Like the demo subscriber: two devices in service, no card on file yet; a yearly plan."""
    settings.DEBUG = True  # the developers' mailbox
    subscriber = make_subscriber("demo@example.com", numbers=("+12125550147", "+14165550148"))
    for device, days in zip(subscriber.devices, (20, 200), strict=True):
        Subscription.objects.create(device=device, ends_at=timezone.now() + timedelta(days=days))
    plan = Plan.objects.create(code="year", name="One year", months=12)
    PlanPrice.objects.create(plan=plan, currency="USD", amount=4999)
    return subscriber


def test_the_subscriber_renews_one_of_two_devices_then_a_declined_card_changes_nothing(
    demo: Subscriber, phone_page: Page
) -> None:
    page = phone_page
    first, second = demo.devices
    first_end = Subscription.objects.get(device=first).ends_at
    second_end = Subscription.objects.get(device=second).ends_at
    assert first_end is not None and second_end is not None
    sign_in(page, demo.email, demo.password)
    press(page, "button", "Menu")
    press(page, "link", "Renew")
    expect(page.get_by_role("heading", name="Renew", level=1)).to_be_visible()
    assert_accessible(page, "renew page")

    choose(page, f"({first.serial})")
    choose(page, "One year: $49.99")
    press(page, "button", "Add to cart")
    expect(page.get_by_role("heading", name="Your cart", level=1)).to_be_visible()
    expect(page.get_by_text("Total: $49.99")).to_be_visible()
    assert_accessible(page, "cart")

    press(page, "link", "Checkout")
    expect(page.get_by_role("heading", name="Checkout", level=1)).to_be_visible()
    assert_accessible(page, "checkout without a card")
    press(page, "button", "Use a new card")
    expect(page.get_by_role("heading", name="Add a card", level=1)).to_be_visible()
    type_card(page, "4242 4242 4242 4242")

    expect(page.get_by_text("Your card ending in 4242 is saved.")).to_be_visible()
    expect(page.get_by_role("radio", name="Visa ending in 4242", exact=False)).to_be_checked()
    assert_accessible(page, "checkout with a card")
    press(page, "button", "Pay $49.99")

    expect(page.get_by_role("heading", name="Thank you: your payment went through")).to_be_visible()
    assert_accessible(page, "confirmation")
    renewed = Subscription.objects.get(device=first).ends_at
    assert renewed == add_months(first_end, 12)
    assert Subscription.objects.get(device=second).ends_at == second_end
    expect(page.locator(".renewed")).to_contain_text(first.serial)
    payment = Payment.objects.get()
    assert payment.invoice_number is not None

    # The receipt, in the developers' mailbox.
    page.goto("/dev/mail/")
    receipt = page.locator(".mailbox li").filter(has_text=f"invoice {payment.invoice_number}")
    expect(receipt.first).to_be_visible()

    # The invoice and its PDF.
    page.goto("/invoices/")
    press(page, "link", f"Invoice {payment.invoice_number}")
    expect(page.get_by_text("Visa ending in 4242")).to_be_visible()
    assert_accessible(page, "invoice")
    with page.expect_download() as download_info:
        press(page, "link", "Download the PDF")
    download = download_info.value
    assert download.suggested_filename == f"invoice-{payment.invoice_number}.pdf"
    path = download.path()
    assert path is not None and path.read_bytes().startswith(b"%PDF")

    # A declined card: the provider's page says so, and nothing changes.
    press(page, "button", "Menu")
    press(page, "link", "Renew")
    choose(page, f"({second.serial})")
    choose(page, "One year: $49.99")
    press(page, "button", "Add to cart")
    press(page, "link", "Checkout")
    press(page, "button", "Use a new card")
    type_card(page, "4000 0000 0000 0002")
    expect(page.get_by_text(DECLINED_HERE)).to_be_visible()
    press(page, "link", "Cancel and go back")
    expect(page.get_by_text(NOTHING_SAVED)).to_be_visible()
    assert_accessible(page, "checkout after a declined card")
    assert Subscription.objects.get(device=second).ends_at == second_end
    assert Subscription.objects.get(device=first).ends_at == renewed
    assert Payment.objects.count() == 1
    assert SubscriptionPeriod.objects.count() == 1
