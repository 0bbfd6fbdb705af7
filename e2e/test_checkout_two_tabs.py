"""One cart, paid once, in a real browser: checkout open in two tabs with a slow payment
provider, Pay pressed in both; then a payment whose answer is lost, after which the cart
waits for its outcome and offers no Pay until "Check again" settles it. No axe violation."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import Subscriber, make_subscriber
from e2e.helpers import sign_in
from e2e.test_renew import assert_accessible
from plugline.billing.checkout import cart_add
from plugline.billing.models import (
    CartItem,
    Payment,
    Plan,
    PlanPrice,
    Subscription,
    SubscriptionPeriod,
)
from plugline.billing.tests.factories import card_on_file
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge

BEING_PAID = "Your cart is being paid: it cannot be changed or paid again"
WAITING = "it cannot be paid again until the payment is settled"
THANK_YOU = "Thank you: your payment went through"


@pytest.fixture
def shopper(db: None) -> Subscriber:
    """Two devices in service, a Visa on file, a year ($49.99) for the first in the cart."""
    psp.config_set(latency_ms=0, timeout_rate=0.0, failure_rate=0.0)
    subscriber = make_subscriber("demo@example.com", numbers=("+12125550147", "+14165550148"))
    for device, days in zip(subscriber.devices, (20, 200), strict=True):
        Subscription.objects.create(device=device, ends_at=timezone.now() + timedelta(days=days))
    plan = Plan.objects.create(code="year", name="One year", months=12)
    PlanPrice.objects.create(plan=plan, currency="USD", amount=4999)
    card_on_file(subscriber.user)
    cart_add(user=subscriber.user, device=subscriber.devices[0], plan=plan)
    return subscriber


def cart_claimed(timeout: float = 10) -> None:
    """Until the first tab's Pay has written its payment (and the gateway is still charging)."""
    deadline = time.monotonic() + timeout
    while not Payment.objects.exists():
        assert time.monotonic() < deadline, "the first tab's Pay never reached the server"
        time.sleep(0.02)


def receipts() -> int:
    return OutboxMessage.objects.filter(template="billing/email/receipt").count()


def test_two_tabs_pay_one_cart_once_and_a_lost_answer_keeps_the_cart_waiting(
    shopper: Subscriber, page: Page
) -> None:
    sign_in(page, shopper.email, shopper.password)
    first_tab = page
    second_tab = page.context.new_page()
    for tab in (first_tab, second_tab):
        tab.goto("/renew/checkout/")
        expect(tab.get_by_role("button", name="Pay $49.99")).to_be_visible()

    # A slow provider: the second tab's Pay arrives while the first is being charged.
    psp.config_set(latency_ms=1500)
    first_tab.get_by_role("button", name="Pay $49.99").click(no_wait_after=True)
    cart_claimed()
    second_tab.get_by_role("button", name="Pay $49.99").click()
    expect(second_tab.get_by_text(BEING_PAID)).to_be_visible()
    expect(second_tab.get_by_role("link", name="Check again")).to_be_visible()
    expect(second_tab.get_by_role("button", name="Pay $49.99")).to_have_count(0)
    assert_accessible(second_tab, "checkout refused while the cart is being paid")
    expect(first_tab.get_by_role("heading", name=THANK_YOU)).to_be_visible()
    assert SandboxCharge.objects.count() == 1
    assert SubscriptionPeriod.objects.count() == 1
    assert receipts() == 1
    assert not CartItem.objects.exists()
    # "Check again" in the second tab finds the first tab's payment through.
    second_tab.get_by_role("link", name="Check again").click()
    expect(second_tab.get_by_role("heading", name=THANK_YOU)).to_be_visible()
    assert SandboxCharge.objects.count() == 1
    second_tab.close()

    # The second device, and the provider's answer is lost.
    psp.config_set(latency_ms=0, timeout_rate=1.0)
    cart_add(user=shopper.user, device=shopper.devices[1], plan=Plan.objects.get(code="year"))
    page.goto("/renew/checkout/")
    page.get_by_role("button", name="Pay $49.99").click()
    expect(page.get_by_text("Do not pay again")).to_be_visible()
    page.goto("/renew/cart/")
    expect(page.get_by_role("heading", name="Your cart is being paid")).to_be_visible()
    expect(page.get_by_text(WAITING)).to_be_visible()
    expect(page.get_by_role("link", name="Checkout", exact=True)).to_have_count(0)
    assert_accessible(page, "cart waiting for a payment's outcome")
    page.goto("/renew/checkout/")
    expect(page.get_by_role("link", name="Check again")).to_be_visible()
    expect(page.get_by_role("button", name="Pay $49.99")).to_have_count(0)
    assert_accessible(page, "checkout waiting for a payment's outcome")
    assert SubscriptionPeriod.objects.count() == 1  # not renewed on a guess

    psp.config_set(timeout_rate=0.0)
    page.get_by_role("link", name="Check again").click()
    expect(page.get_by_role("heading", name=THANK_YOU)).to_be_visible()
    assert SandboxCharge.objects.count() == 2
    assert SubscriptionPeriod.objects.count() == 2
    assert receipts() == 2
    assert not CartItem.objects.exists()
