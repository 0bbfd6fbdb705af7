"""Changing a device's number in a real browser, on a phone (360 px), with the keyboard
alone, in English, French and Danish, without an axe-core violation: choose a number like
in activation, see the fee, pay with the card on file, and the page shows the new number."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from conftest import make_subscriber
from e2e.helpers import fits, sign_in, tab_to
from e2e.test_device_page import assert_no_axe_violations, type_into
from plugline.billing.tests.factories import CARD_SUCCEEDS, card_on_file, sandbox_reset
from plugline.core.money import money_format
from plugline.devices.models import Device
from plugline.telephony.models import PhoneNumber

NEW = "+13125550199"
# The page's heading, as a subscriber reads it in each language.
HEADING = {
    "en": "Change the phone number",
    "fr": "Changer le numéro de téléphone",
    "da": "Skift telefonnummeret",
}


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_a_subscriber_changes_the_number_of_a_device_with_the_keyboard(
    db: None, phone_page: Page, settings, language: str
) -> None:
    settings.NUMBER_CHANGE_FEE = 1500
    sandbox_reset()
    subscriber = make_subscriber("claire@example.com", language=language)
    device = subscriber.devices[0]
    card_on_file(subscriber.user, CARD_SUCCEEDS)
    PhoneNumber.objects.create(e164=NEW, country="US", area_code="312", city="Chicago")
    with translation.override(language):
        change = gettext("Change number")
        area_code = gettext("Area code")
        choose = gettext("Choose this number")
        fee = money_format(1500, "USD", language)
        pay = gettext("Pay %(amount)s and change the number") % {"amount": fee}
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{device.serial}/")

    tab_to(page, page.get_by_role("link", name=change, exact=True), limit=80)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name=HEADING[language], level=1)).to_be_visible()
    expect(page.get_by_text(fee).first).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, f"change of number, search ({language})")
    type_into(page, area_code, "312")
    page.keyboard.press("Enter")
    new_number = page.get_by_role("radio", name="(312) 555-0199")
    tab_to(page, new_number, limit=80)
    page.keyboard.press("Space")
    expect(new_number).to_be_checked()
    assert fits(page)
    assert_no_axe_violations(page, f"change of number, free numbers ({language})")
    tab_to(page, page.get_by_role("button", name=choose), limit=10)
    page.keyboard.press("Enter")

    expect(page.get_by_text("(312) 555-0199").first).to_be_visible()
    pay_button = page.get_by_role("button", name=pay)
    expect(pay_button).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, f"change of number, confirm ({language})")
    tab_to(page, pay_button, limit=80)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="(312) 555-0199", level=1)).to_be_visible()
    with translation.override(language):
        done = gettext(
            "Done: your device now answers on %(number)s. We emailed you a confirmation and the "
            "receipt."
        ) % {"number": "(312) 555-0199"}
    expect(page.locator(".messages .message")).to_have_text([done])
    assert fits(page)
    assert_no_axe_violations(page, f"device page after the change ({language})")
    assert Device.objects.get(pk=device.pk).phone_number == NEW
