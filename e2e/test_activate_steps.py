"""Steps 2 to 7 of activation in a real browser, for a device already shown to be present.

Step 1 has its own journeys (test_activate_detect.py): here the wizard starts
with the device present, as step 1 leaves it, and the browser carries the
wizard in its session. On a phone, with the keyboard alone: mistakes on the
way are explained next to their fields with everything typed kept, a number
someone else just took is to be chosen again, a wrong code is refused, and
the right code read from the outbox makes the device active; the new account
then signs in with its number. axe-core checks every page.
"""

from __future__ import annotations

import re
from datetime import timedelta
from importlib import import_module

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import Subscriber
from e2e.helpers import OpenPage, sign_in, tab_to
from e2e.test_accessibility import AXE_OPTIONS, describe
from plugline.accounts.models import User
from plugline.devices.models import Activation, Device, DeviceStatus
from plugline.devices.tests.wizard_factory import make_device, make_numbers
from plugline.devices.wizard.state import PRESENCE_MINUTES, SESSION_KEY
from plugline.notifications.models import OutboxMessage
from plugline.telephony.services import number_reserve

PASSWORD = "harbour lanterns at dusk"  # test persona only
EMAIL = "nina@example.com"


def fits(page: Page) -> bool:
    """Nothing sticks out sideways: no horizontal scrolling at this width."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def check_page(page: Page, what: str) -> None:
    assert fits(page), f"{what} is wider than the screen"
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{what}:\n{describe(violations)}"


def with_device_present(page: Page, live_server: LiveServer, device: Device) -> Activation:
    """This browser's wizard, with the device present (as step 1 leaves it)."""
    activation = Activation.objects.create(
        device=device, present_until=timezone.now() + timedelta(minutes=PRESENCE_MINUTES)
    )
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(activation.pk)
    session.create()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    return activation


def type_into(page: Page, label: str, text: str, limit: int = 60) -> None:
    """Tab to the field, clear it and type, as someone without a mouse would."""
    field = page.get_by_label(label, exact=True)
    tab_to(page, field, limit=limit)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Backspace")
    if text:
        page.keyboard.type(text)


def press(page: Page, button: str) -> None:
    tab_to(page, page.get_by_role("button", name=button, exact=True), limit=80)
    page.keyboard.press("Enter")


def expect_step(page: Page, number: int, heading: str) -> None:
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    expect(page.get_by_text(f"Step {number} of 7")).to_be_visible()


def code_from_the_outbox(to: str) -> str:
    message = OutboxMessage.objects.filter(to_email=to).order_by("-id").first()
    assert message is not None
    match = re.search(r"^(\d{4} \d{4})$", message.body_text, re.M)
    assert match, message.body_text
    return match.group(1)


@pytest.fixture
def boxed(transactional_db: None) -> Device:
    """A device bought in a store; free numbers in New York (212)."""
    make_numbers("212", "New York", "NY", count=3)
    return make_device("PLE20000001", status=DeviceStatus.SOLD_IN_STORE)


def test_a_new_customer_goes_from_the_detected_device_to_an_active_line_on_a_phone(
    phone_page: Page, live_server: LiveServer, boxed: Device
) -> None:
    page = phone_page
    with_device_present(page, live_server, boxed)

    # Step 2: where it was bought.
    page.goto("/activate/purchase/")
    expect_step(page, 2, "Where did you buy it?")
    check_page(page, "step 2")
    tab_to(page, page.get_by_label("On the website"))
    page.keyboard.press("ArrowDown")  # the radio group's next choice: "In a store"
    expect(page.get_by_label("In a store")).to_be_checked()
    press(page, "Continue")

    # Step 3: a new account; a common password first.
    expect_step(page, 3, "Your account")
    check_page(page, "step 3")
    type_into(page, "First name", "Nina")
    type_into(page, "Last name", "New")
    type_into(page, "Email", EMAIL)
    type_into(page, "Password", "password123")
    type_into(page, "Password again", "password123")
    page.keyboard.press("Enter")
    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_accessible_description(re.compile(r"^This password is too common\."))
    expect(page.get_by_label("Email", exact=True)).to_have_value(EMAIL)
    expect(page.get_by_label("First name", exact=True)).to_have_value("Nina")
    check_page(page, "step 3 refused")
    type_into(page, "Password", PASSWORD)
    type_into(page, "Password again", PASSWORD)
    page.keyboard.press("Enter")

    # Step 4: contact address, E911 the same; a bad ZIP code first.
    expect_step(page, 4, "Contact and E911 address")
    check_page(page, "step 4")
    contact = page.get_by_role("group", name="Contact address")
    country = contact.get_by_label("Country", exact=True)
    tab_to(page, country)
    page.keyboard.type("United")
    expect(country).to_have_value("US")
    tab_to(page, contact.get_by_label("Street address", exact=True))
    page.keyboard.type("350 Fifth Avenue")
    tab_to(page, contact.get_by_label("City", exact=True))
    page.keyboard.type("New York")
    tab_to(page, contact.get_by_label("State or province", exact=True))
    page.keyboard.type("NY")
    postal_code = contact.get_by_label("ZIP or postal code", exact=True)
    tab_to(page, postal_code)
    page.keyboard.type("1011")
    same = page.get_by_label("The E911 address is the same as my contact address")
    tab_to(page, same)
    if not same.is_checked():
        page.keyboard.press("Space")
    expect(same).to_be_checked()
    # Ticked, the E911 fields are not needed: they are out of the way.
    e911_street = page.get_by_role("group", name="E911 address").get_by_label(
        "Street address", exact=True
    )
    expect(e911_street).to_be_hidden()
    page.keyboard.press("Space")
    expect(e911_street).to_be_visible()
    page.keyboard.press("Space")
    expect(e911_street).to_be_hidden()
    press(page, "Continue")
    expect(page.get_by_role("alert")).to_contain_text("everything you typed is kept")
    expect(postal_code).to_have_accessible_description(re.compile(r"^Enter a ZIP code of 5 digits"))
    expect(contact.get_by_label("Street address", exact=True)).to_have_value("350 Fifth Avenue")
    check_page(page, "step 4 refused")
    tab_to(page, postal_code)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("10118")
    press(page, "Continue")

    # Step 5: numbers near the E911 address; the one chosen was just taken.
    expect_step(page, 5, "Choose a phone number")
    check_page(page, "step 5")
    first = page.get_by_label(re.compile(r"^\(212\) 555-0110"))
    expect(first).to_be_visible()
    number_reserve(e164="+12125550110", holder="activation:someone-else")
    tab_to(page, first, limit=80)
    page.keyboard.press("Space")
    press(page, "Choose this number")
    expect(page.get_by_role("alert")).to_contain_text(
        "That number was just taken. Please choose another."
    )
    expect(page.get_by_label(re.compile(r"^\(212\) 555-0110"))).to_have_count(0)
    check_page(page, "step 5 taken")
    second = page.get_by_label(re.compile(r"^\(212\) 555-0111"))
    tab_to(page, second, limit=80)
    page.keyboard.press("Space")
    press(page, "Choose this number")

    # Step 6: the terms.
    expect_step(page, 6, "Terms of service")
    check_page(page, "step 6")
    tab_to(page, page.get_by_label("I accept the terms of service"))
    page.keyboard.press("Space")
    press(page, "Continue")

    # Step 7: a wrong code, then the one in the email.
    expect_step(page, 7, "Activation code")
    expect(page.get_by_text(f"We emailed an 8-digit code to {EMAIL}.")).to_be_visible()
    check_page(page, "step 7")
    code = code_from_the_outbox(EMAIL)
    digits = code.replace(" ", "")
    type_into(page, "Activation code", f"{(int(digits) + 1) % 10**8:08d}")
    press(page, "Activate my device")
    code_field = page.get_by_label("Activation code", exact=True)
    expect(code_field).to_have_accessible_description(
        re.compile(r"^That code is not right\. .*tries left: 4")
    )
    check_page(page, "step 7 refused")
    type_into(page, "Activation code", code)
    press(page, "Activate my device")

    expect(page.get_by_role("heading", name="Your device is active")).to_be_visible()
    expect(page.locator(".activated .number")).to_have_text("(212) 555-0111")
    check_page(page, "device active")
    tab_to(page, page.get_by_role("link", name="Go to My account"), limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="(212) 555-0111", exact=True)).to_be_visible()
    user = User.objects.get(email=EMAIL)
    assert user.original_email == EMAIL
    assert Device.objects.get(serial=boxed.serial).owner_id == user.pk

    # The new account signs in with its new number, written any common way.
    other = page.context.browser.new_context(base_url=live_server.url)  # type: ignore[union-attr]
    try:
        fresh = other.new_page()
        sign_in(fresh, "212.555.0111", PASSWORD)
        expect(fresh.get_by_role("heading", name="My account", level=1)).to_be_visible()
    finally:
        other.close()


def test_a_subscriber_signs_in_from_step_3_and_adds_the_device_to_their_account(
    open_page: OpenPage, live_server: LiveServer, boxed: Device, alice: Subscriber
) -> None:
    page = open_page()
    activation = with_device_present(page, live_server, boxed)
    activation.purchase_channel = "store"
    activation.save()

    page.goto("/activate/account/")
    expect_step(page, 3, "Your account")
    page.get_by_role("link", name="Sign in to an existing account").click()
    page.get_by_label("Email or phone number").fill(alice.email)
    page.get_by_label("Password", exact=True).fill(alice.password)
    page.get_by_role("button", name="Log in").click()

    # Back on step 3, to confirm.
    expect_step(page, 3, "Your account")
    expect(page.get_by_text(f"You are signed in as {alice.email}.")).to_be_visible()
    check_page(page, "step 3 signed in")
    page.get_by_role("button", name="Add this device to my account").click()

    expect_step(page, 4, "Contact and E911 address")
    page.get_by_role("group", name="Contact address").get_by_label(
        "Country", exact=True
    ).select_option("US")
    contact = page.get_by_role("group", name="Contact address")
    contact.get_by_label("Street address", exact=True).fill("350 Fifth Avenue")
    contact.get_by_label("City", exact=True).fill("New York")
    contact.get_by_label("State or province", exact=True).fill("NY")
    contact.get_by_label("ZIP or postal code", exact=True).fill("10118")
    page.get_by_label("The E911 address is the same as my contact address").check()
    page.get_by_role("button", name="Continue").click()

    expect_step(page, 5, "Choose a phone number")
    page.get_by_label("Area code").fill("212")
    page.get_by_role("button", name="Find numbers").click()
    page.get_by_label(re.compile(r"^\(212\) 555-0112")).check()
    page.get_by_role("button", name="Choose this number").click()

    expect_step(page, 6, "Terms of service")
    page.get_by_label("I accept the terms of service").check()
    page.get_by_role("button", name="Continue").click()

    expect_step(page, 7, "Activation code")
    expect(page.get_by_text(f"We emailed an 8-digit code to {alice.email}.")).to_be_visible()
    page.get_by_label("Activation code").fill(code_from_the_outbox(alice.email))
    page.get_by_role("button", name="Activate my device").click()

    expect(page.get_by_role("heading", name="Your device is active")).to_be_visible()
    page.get_by_role("link", name="Go to My account").click()
    expect(page.get_by_role("link", name="(212) 555-0112", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="(212) 555-0147", exact=True)).to_be_visible()
    assert Device.objects.get(serial=boxed.serial).owner_id == alice.user.pk
