"""Redeeming a Re-Up card in a real browser: on a phone, with the keyboard alone, a wrong PIN
refused (the PIN gone, the device kept), the card's PIN typed with spaces and dashes, the new end
date shown; the refusal once more in Danish. No axe-core violation on any of these pages."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.utils import formats, timezone, translation
from playwright.sync_api import Page, expect

from conftest import make_subscriber
from e2e.helpers import sign_in, tab_to
from e2e.test_renew import assert_accessible, choose, press
from plugline.billing.models import Subscription
from plugline.billing.periods import add_months
from plugline.billing.tests.factories import make_plan
from plugline.reup.models import ReupCardStatus
from plugline.reup.tests.factories import make_activated_card
from plugline.reup.views import refused_message

WRONG_PIN = "1234-5678 9012-3456"


def type_pin(page: Page, pin: str) -> None:
    field = page.get_by_label("PIN", exact=True)
    tab_to(page, field, limit=40)
    page.keyboard.type(pin)


def test_alice_redeems_a_card_on_her_phone_after_a_wrong_pin(db: None, phone_page: Page) -> None:
    page = phone_page
    alice = make_subscriber(numbers=("+12125550147", "+14165550148"))
    first, second = alice.devices
    Subscription.objects.create(device=first, ends_at=timezone.now() + timedelta(days=90))
    second_end = timezone.now() + timedelta(days=10)
    Subscription.objects.create(device=second, ends_at=second_end)
    card, pin = make_activated_card(plan=make_plan("1-year", months=12))
    sign_in(page, alice.email, alice.password)

    press(page, "link", "Redeem a Re-Up card")
    expect(page.get_by_role("heading", name="Redeem a Re-Up card", level=1)).to_be_visible()
    assert_accessible(page, "redeem page")

    # A wrong PIN: refused, the field emptied, the device still chosen.
    type_pin(page, WRONG_PIN)
    choose(page, f"({second.serial})")
    press(page, "button", "Redeem the card")
    expect(page.get_by_role("alert")).to_contain_text("This PIN can't be used.")
    expect(page.get_by_label("PIN", exact=True)).to_have_value("")
    expect(page.get_by_role("radio", name=f"({second.serial})")).to_be_checked()
    assert_accessible(page, "redeem page with the refusal")

    # The card's PIN, typed as printed with dashes and spaces.
    type_pin(page, f"{pin[:4]}-{pin[4:8]} {pin[8:12]}-{pin[12:]}")
    press(page, "button", "Redeem the card")

    expect(page.get_by_role("heading", name="Your Re-Up card is redeemed")).to_be_visible()
    new_end = Subscription.objects.get(device=second).ends_at
    assert new_end == add_months(second_end, 12)
    with translation.override("en"):
        shown = formats.date_format(timezone.localtime(new_end, UTC), "DATE_FORMAT")
    expect(page.get_by_text(f"Service until {shown}")).to_be_visible()
    expect(page.locator("main")).to_contain_text(second.serial)
    assert_accessible(page, "card redeemed")
    card.refresh_from_db()
    assert card.status == ReupCardStatus.REDEEMED

    # In Danish: the same refusal, in Danish, for the card already used.
    press(page, "button", "Menu", limit=40)
    tab_to(page, page.locator("#language-select"), limit=40)
    page.keyboard.type("Dansk")
    press(page, "button", "Change", limit=5)
    expect(page.locator("html")).to_have_attribute("lang", "da")
    page.goto("/account/reup/")
    tab_to(page, page.locator("#id_pin"), limit=40)  # its label is Danish now
    page.keyboard.type(pin)
    choose(page, f"({second.serial})")
    tab_to(page, page.locator("form.card button[type=submit]"), limit=5)
    page.keyboard.press("Enter")
    with translation.override("da"):
        refused = refused_message()
    expect(page.get_by_role("alert")).to_contain_text(refused)
    assert_accessible(page, "the refusal in Danish")
