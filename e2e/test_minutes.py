"""Buying international minutes in a real browser, on a phone (360 px), with the keyboard alone,
in English, French and Danish, without an axe-core violation: from My account to
"International minutes", choose an amount, pay with the card on file, and the balance grows."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from conftest import make_subscriber
from e2e.helpers import fits, sign_in, tab_to
from e2e.test_device_page import assert_no_axe_violations
from plugline.billing.tests.factories import CARD_SUCCEEDS, card_on_file, sandbox_reset
from plugline.core.money import money_format
from plugline.minutes.models import LowBalanceSetting
from plugline.minutes.selectors import minutes_balance
from plugline.reup.tests.factories import make_activated_minutes_card


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_a_subscriber_buys_international_minutes_with_the_keyboard(
    db: None, phone_page: Page, settings, language: str
) -> None:
    settings.MINUTES_TOP_UP_AMOUNTS = ["500", "1000", "2000"]
    sandbox_reset()
    subscriber = make_subscriber("claire@example.com", language=language)
    card_on_file(subscriber.user, CARD_SUCCEEDS)
    with translation.override(language):
        add = gettext("Add international minutes")
        heading = gettext("International minutes")
        pay = gettext("Pay and add to my balance")
        twenty = money_format(2000, "USD", language)
        done = gettext(
            "Done: %(amount)s was added to your international balance. We emailed you the receipt."
        ) % {"amount": twenty}
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    page.goto("/")
    assert_no_axe_violations(page, f"My account with the balance ({language})")

    tab_to(page, page.get_by_role("link", name=add, exact=True), limit=120)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, f"international minutes ({language})")
    amount = page.get_by_role("radio", name=twenty).and_(page.locator('[name="amount"]'))
    tab_to(page, page.get_by_role("radio").first, limit=40)
    # Arrow keys move within a group of radio buttons, as a keyboard user does.
    for _step in range(3):
        if amount.is_checked():
            break
        page.keyboard.press("ArrowDown")
    expect(amount).to_be_checked()
    tab_to(page, page.get_by_role("button", name=pay), limit=20)
    page.keyboard.press("Enter")

    expect(page.locator(".messages .message")).to_have_text([done])
    expect(page.locator(".minutes-balance")).to_have_text(twenty)
    assert fits(page)
    assert_no_axe_violations(page, f"international minutes after paying ({language})")
    assert minutes_balance(user=subscriber.user) == 2000


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_a_subscriber_switches_on_the_low_balance_top_up_with_the_keyboard(
    db: None, phone_page: Page, settings, language: str
) -> None:
    settings.MINUTES_TOP_UP_AMOUNTS = ["500", "1000", "2000"]
    subscriber = make_subscriber("claire@example.com", language=language)
    card_on_file(subscriber.user, CARD_SUCCEEDS)
    with translation.override(language):
        switch_name = gettext("Top up automatically when my balance is low")
        save = gettext("Save the low-balance top-up")
        saved = gettext("Low-balance top-up is on.")
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    page.goto("/account/minutes/")

    switch = page.get_by_role("switch", name=switch_name)
    tab_to(page, switch, limit=60)
    page.keyboard.press("Space")
    expect(switch).to_be_checked()
    tab_to(page, page.get_by_role("button", name=save), limit=40)
    page.keyboard.press("Enter")

    expect(page.locator(".messages .message")).to_have_text([saved])
    expect(page.get_by_role("switch", name=switch_name)).to_be_checked()
    assert fits(page)
    assert_no_axe_violations(page, f"low-balance top-up saved ({language})")
    setting = LowBalanceSetting.objects.get(user=subscriber.user)
    assert setting.enabled and setting.amount == 500


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_subscriber_redeems_a_minutes_card_with_the_keyboard(
    db: None, phone_page: Page, language: str
) -> None:
    subscriber = make_subscriber("claire@example.com", language=language)
    _card, pin = make_activated_minutes_card(amount=1000)
    with translation.override(language):
        redeem = gettext("Redeem a Re-Up card")
        pin_label = gettext("PIN")
        button = gettext("Redeem the card")
        ten = money_format(1000, "USD", language)
        added = gettext("%(amount)s added to your international balance") % {"amount": ten}
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    page.goto("/")
    tab_to(page, page.get_by_role("link", name=redeem, exact=True), limit=80)
    page.keyboard.press("Enter")

    tab_to(page, page.get_by_label(pin_label, exact=True), limit=40)
    page.keyboard.type(pin)
    tab_to(page, page.get_by_role("button", name=button), limit=20)
    page.keyboard.press("Enter")

    expect(page.get_by_text(added)).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, f"minutes card redeemed ({language})")
    assert minutes_balance(user=subscriber.user) == 1000
