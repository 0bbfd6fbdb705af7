"""The AutoRenew page in a real browser: on a phone, with the keyboard alone."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import sign_in, tab_to
from e2e.test_device_page import assert_no_axe_violations, fits
from plugline.billing.models import Subscription
from plugline.billing.tests.factories import card_on_file, plan_make


def autorenew_page(page: Page, subscriber: Subscriber) -> None:
    sign_in(page, subscriber.email, subscriber.password)
    page.goto("/account/")
    tab_to(page, page.get_by_role("link", name="AutoRenew", exact=True), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="AutoRenew", level=1)).to_be_visible()


def test_it_is_refused_without_a_card_with_the_reason(alice: Subscriber, phone_page: Page) -> None:
    page = phone_page
    plan_make()
    Subscription.objects.create(
        device=alice.devices[0], ends_at=timezone.now() + timedelta(days=40)
    )
    autorenew_page(page, alice)
    expect(page.get_by_role("link", name="Add a card on the Cards page")).to_be_visible()
    switch = page.get_by_role("switch", name="AutoRenew for")
    tab_to(page, switch, limit=30)
    page.keyboard.press("Space")
    expect(switch).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Save AutoRenew for"), limit=10)
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("AutoRenew needs a card on file")
    expect(page.get_by_role("switch", name="AutoRenew for")).to_have_accessible_description(
        "AutoRenew needs a card on file. Add a card on the Cards page first. Cards"
    )
    assert fits(page)
    assert_no_axe_violations(page, "refused without a card")
    assert not Subscription.objects.get(device=alice.devices[0]).autorenew


def test_it_switches_on_with_a_card_on_file_then_off(alice: Subscriber, phone_page: Page) -> None:
    page = phone_page
    plan = plan_make()
    card_on_file(alice.user)
    Subscription.objects.create(
        device=alice.devices[0], ends_at=timezone.now() + timedelta(days=40)
    )
    autorenew_page(page, alice)
    expect(page.get_by_text("AutoRenew charges your Visa ending in 4242.")).to_be_visible()
    assert_no_axe_violations(page, "with a card")
    switch = page.get_by_role("switch", name="AutoRenew for")
    tab_to(page, switch, limit=30)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Save AutoRenew for"), limit=10)
    page.keyboard.press("Enter")
    expect(page.get_by_text("AutoRenew is on for")).to_be_visible()
    expect(page.get_by_role("switch", name="AutoRenew for")).to_be_checked()
    subscription = Subscription.objects.get(device=alice.devices[0])
    assert subscription.autorenew and subscription.autorenew_plan == plan
    assert fits(page)
    tab_to(page, page.get_by_role("switch", name="AutoRenew for"), limit=30)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Save AutoRenew for"), limit=10)
    page.keyboard.press("Enter")
    expect(page.get_by_text("AutoRenew is off for")).to_be_visible()
    assert not Subscription.objects.get(device=alice.devices[0]).autorenew
