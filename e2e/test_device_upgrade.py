"""Upgrading a device in a real browser, on a phone (360 px), with the keyboard alone, in
English, French and Danish, without an axe-core violation: "Upgrade my device" on the
device's page, the offer, the shipping address, pay with the card on file, and the
device's page says the new device is paid and will ship."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from conftest import make_subscriber
from e2e.helpers import fits, sign_in, staff_sign_in, tab_to
from e2e.test_device_page import assert_no_axe_violations, type_into
from plugline.billing.tests.factories import CARD_SUCCEEDS, card_on_file, sandbox_reset
from plugline.core.money import money_format
from plugline.upgrades.models import UpgradeOrder, UpgradeOrderStatus
from plugline.upgrades.tests.factories import BROOKLYN, make_offer


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_a_subscriber_orders_a_new_device_with_the_keyboard(
    db: None, phone_page: Page, language: str
) -> None:
    sandbox_reset()
    subscriber = make_subscriber("claire@example.com", language=language)
    user = subscriber.user
    for field, value in BROOKLYN.items():
        setattr(user, field, "" if field == "street_address_2" else value)
    user.save()
    device = subscriber.devices[0]
    card_on_file(user, CARD_SUCCEEDS)
    make_offer(price=2999)
    with translation.override(language):
        upgrade = gettext("Upgrade my device")
        offer = gettext("%(model)s for %(price)s (usually %(usual)s)") % {
            "model": "Plugline USB 2",
            "price": money_format(2999, "USD", language),
            "usual": money_format(7999, "USD", language),
        }
        line_2 = gettext("Apartment, suite, unit (optional)")
        pay = gettext("Pay and order the new device")
        done = gettext(
            "Thank you: your %(model)s is ordered and paid. We emailed you the receipt, and we "
            "will email you again when it ships."
        ) % {"model": "Plugline USB 2"}
        waiting = gettext("Your new %(model)s is paid and will ship soon.") % {
            "model": "Plugline USB 2"
        }
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{device.serial}/")

    tab_to(page, page.get_by_role("link", name=upgrade, exact=True), limit=80)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name=upgrade, level=1)).to_be_visible()
    expect(page.get_by_role("radio", name=offer)).to_be_checked()
    assert fits(page)
    assert_no_axe_violations(page, f"upgrade my device ({language})")
    type_into(page, line_2, "Apt 4")
    pay_button = page.get_by_role("button", name=pay)
    tab_to(page, pay_button, limit=40)
    page.keyboard.press("Enter")

    expect(page.locator(".messages .message")).to_have_text([done])
    expect(page.get_by_text(waiting)).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, f"device page after the upgrade ({language})")
    order = UpgradeOrder.objects.get()
    assert (order.status, order.ship_street_address_2) == (UpgradeOrderStatus.PAID, "Apt 4")


def test_a_refused_shipping_address_is_shown_next_to_its_field(db: None, phone_page: Page) -> None:
    sandbox_reset()
    subscriber = make_subscriber("claire@example.com")
    card_on_file(subscriber.user, CARD_SUCCEEDS)
    make_offer(price=2999)
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{subscriber.devices[0].serial}/upgrade/")
    page.get_by_label("Country").select_option("US")
    type_into(page, "Street address", "1 Main St")
    type_into(page, "City", "Brooklyn")
    type_into(page, "ZIP or postal code", "ABCDE")
    page.get_by_role("button", name="Pay and order the new device").press("Enter")

    expect(page.get_by_role("heading", name="Upgrade my device", level=1)).to_be_visible()
    expect(page.locator(".errorlist").first).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, "upgrade my device, address refused")
    assert not UpgradeOrder.objects.exists()


def test_a_payment_waiting_for_the_bank_has_a_page_of_its_own(db: None, phone_page: Page) -> None:
    from plugline.billing.tests.factories import CARD_NEEDS_AUTHENTICATION
    from plugline.upgrades.tests.factories import pay_order

    sandbox_reset()
    subscriber = make_subscriber("claire@example.com", language="da")
    card = card_on_file(subscriber.user, CARD_NEEDS_AUTHENTICATION)
    order = pay_order(subscriber, make_offer(price=2999), card)
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{subscriber.devices[0].serial}/")
    with translation.override("da"):
        waiting = gettext("An upgrade of this device is waiting for its payment")
        heading = gettext("We are checking your payment")
    tab_to(page, page.get_by_role("link", name=waiting), limit=80)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, "upgrade waiting for the bank (da)")
    assert UpgradeOrder.objects.get().pk == order.pk


@pytest.mark.parametrize("language", ["en", "da"])
def test_staff_ship_an_order_from_the_admin_on_a_phone(
    db: None, staff, phone_page: Page, language: str
) -> None:
    from conftest import PASSWORD
    from e2e.test_staff_accessibility import violations
    from plugline.upgrades.tests.factories import NEW_SERIAL, make_stock_device, pay_order

    staff.language = language
    staff.save(update_fields=["language"])
    sandbox_reset()
    subscriber = make_subscriber("claire@example.com")
    make_stock_device()
    order = pay_order(subscriber, make_offer(price=2999), card_on_file(subscriber.user))
    with translation.override(language):
        ship = gettext("Ship (tracking number and serial sent)")
        title = gettext("Ship the new device")
        tracking = gettext("Tracking number")
        serial = gettext("Serial of the device sent")
        shipped = gettext("Shipped: the customer was emailed.")
    page = phone_page
    staff_sign_in(page, staff, PASSWORD)
    page.goto("/admin/upgrades/upgradeorder/")
    page.locator(f'input[name="_selected_action"][value="{order.pk}"]').check()
    page.locator('select[name="action"]').select_option(label=ship)
    page.locator('button[name="index"]').click()

    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert violations(page, f"ship action ({language})") == []
    assert fits(page)
    page.get_by_label(tracking).fill("1Z999AA10123456784")
    page.get_by_label(serial).fill(NEW_SERIAL)
    page.get_by_role("button", name=title).click()

    expect(page.get_by_text(shipped)).to_be_visible()
    order.refresh_from_db()
    assert (order.status, order.new_serial) == (UpgradeOrderStatus.SHIPPED, NEW_SERIAL)


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_the_new_device_is_activated_with_the_keyboard_and_keeps_the_number(
    db: None, staff, phone_page: Page, live_server, language: str
) -> None:
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.utils import timezone

    from e2e.test_activate_steps import code_from_the_outbox
    from plugline.devices.models import Activation, Device
    from plugline.devices.tests.wizard_factory import NEW_YORK
    from plugline.devices.wizard.state import PRESENCE_MINUTES, SESSION_KEY
    from plugline.upgrades.orders import upgrade_order_ship
    from plugline.upgrades.tests.factories import NEW_SERIAL, make_stock_device, pay_order

    sandbox_reset()
    subscriber = make_subscriber("claire@example.com", language=language)
    make_stock_device()
    order = pay_order(subscriber, make_offer(price=2999), card_on_file(subscriber.user))
    upgrade_order_ship(order=order, tracking_number="T1", new_serial=NEW_SERIAL, staff=staff)
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    # The wizard as step 4 leaves it for the device received, in this browser's session.
    now = timezone.now()
    activation = Activation.objects.create(
        device=Device.objects.get(serial=NEW_SERIAL),
        user=subscriber.user,
        present_until=now + timedelta(minutes=PRESENCE_MINUTES),
        purchase_channel="online",
        order_email_matched_at=now,
        contact_address=dict(NEW_YORK),
        e911_address=dict(NEW_YORK),
    )
    [cookie] = [c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME]
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=cookie["value"])
    session[SESSION_KEY] = str(activation.pk)
    session.save()
    with translation.override(language):
        kept = gettext("This device keeps your number")
        continue_ = gettext("Continue")
        accept = gettext("I accept the terms of service")
        code_label = gettext("Activation code")
        activate = gettext("Activate my device")
        active = gettext("Your device is active")

    page.goto("/activate/number/")
    expect(page.get_by_role("heading", name=kept)).to_be_visible()
    expect(page.get_by_text("(212) 555-0147")).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, f"activation, number kept ({language})")
    tab_to(page, page.get_by_role("link", name=continue_, exact=True), limit=80)
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label(accept), limit=80)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name=continue_, exact=True), limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_label(code_label, exact=True)).to_be_visible()
    expect(page.get_by_text("(212) 555-0147")).to_be_visible()
    type_into(page, code_label, code_from_the_outbox(subscriber.email))
    tab_to(page, page.get_by_role("button", name=activate), limit=40)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name=active)).to_be_visible()
    expect(page.locator(".activated .number")).to_have_text("(212) 555-0147")
    assert fits(page)
    assert Device.objects.get(serial=NEW_SERIAL).phone_number == "+12125550147"
    order.refresh_from_db()
    assert order.taken_over_at is not None
