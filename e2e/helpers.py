"""What a subscriber does in the browser, in the words of the pages."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import Locator, Page, expect

OpenPage = Callable[..., Page]  # the `open_page` fixture: open_page(width=360) -> Page

PHONE_NUMBER = "(212) 555-0147"  # alice's device, as the pages show it
HOME_URL = re.compile(r"^http://[^/]+/$")
SIGN_IN_URL = re.compile(r"^http://[^/]+/accounts/login/(\?.*)?$")
SIGN_IN_ERROR = "The email or phone number and password you entered do not match an account."


def sign_in(page: Page, identifier: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email or phone number").fill(identifier)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def authenticator_code(secret: str) -> str:
    """What an authenticator app shows now for `secret` (waits out the end of a window)."""
    if 30 - time.time() % 30 < 4:
        time.sleep(30 - time.time() % 30 + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def staff_sign_in(page: Page, user: Any, password: str, *, secret: str = "") -> None:
    """A staff member signs in through the real pages: password, then their app's code.

    Without `secret`, the test persona's authenticator (conftest.STAFF_TOTP_SECRET) is
    turned on for `user` first, as `sign_in_with_two_factor` does for the test client.
    """
    if not secret:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP

        from conftest import STAFF_TOTP_SECRET

        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, STAFF_TOTP_SECRET)
        secret = STAFF_TOTP_SECRET
    sign_in(page, user.email, password)
    page.get_by_label("Code").fill(authenticator_code(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def expect_my_account(page: Page) -> None:
    """Signed in, on "My account", with alice's device number in the list."""
    expect(page).to_have_url(HOME_URL)
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    expect(page.locator(".devices .number")).to_have_text([PHONE_NUMBER])


def open_menu(page: Page) -> None:
    """On a phone, open the top bar's menu (nav, language) if closed; on a desktop, nothing."""
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible() and menu.get_attribute("aria-expanded") == "false":
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")


def tab_to(page: Page, target: Locator, limit: int = 30) -> None:
    """Press Tab until `target` has the focus, as someone without a mouse would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


def fits(page: Page) -> bool:
    """Nothing sticks out sideways: no horizontal scrolling at this width.

    Compared with clientWidth, not innerWidth: a phone's browser widens
    innerWidth to fit content that overflows.
    """
    return bool(
        page.evaluate(
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def code_in_the_mailbox(page: Page, to: str, subject: str) -> str:
    """Open the developers' mailbox, the newest message to `to`, and read the code."""
    page.goto("/dev/mail/")
    page.get_by_role("link", name=subject).first.click()
    expect(page.get_by_text(to).first).to_be_visible()
    match = re.search(r"\b(\d{4} \d{4})\b", page.locator("body").inner_text())
    assert match, "no code in the message"
    return match.group(1)


def activation_steps_3_to_7(
    page: Page, *, first_name: str, last_name: str, email: str, password: str
) -> None:
    """The wizard from its step 3 to "Your device is active", in English, as a new customer.

    A new account, a New York contact address that is also the E911 address,
    the number (212) 555-0171, the terms, and the code from the mailbox.
    """
    expect(page.get_by_text("Step 3 of 7")).to_be_visible()
    page.get_by_label("First name").fill(first_name)
    page.get_by_label("Last name").fill(last_name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password again").fill(password)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_text("Step 4 of 7")).to_be_visible()
    contact = page.get_by_role("group", name="Contact address")
    contact.get_by_label("Country", exact=True).select_option("US")
    contact.get_by_label("Street address", exact=True).fill("20 W 34th St")
    contact.get_by_label("City", exact=True).fill("New York")
    contact.get_by_label("State or province", exact=True).fill("NY")
    contact.get_by_label("ZIP or postal code", exact=True).fill("10001")
    page.get_by_label("The E911 address is the same as my contact address").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_text("Step 5 of 7")).to_be_visible()
    page.get_by_label("Area code").fill("212")
    page.get_by_role("button", name="Find numbers").click()
    page.get_by_label(re.compile(r"^\(212\) 555-0171")).check()
    page.get_by_role("button", name="Choose this number").click()

    expect(page.get_by_text("Step 6 of 7")).to_be_visible()
    page.get_by_label("I accept the terms of service").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_text("Step 7 of 7")).to_be_visible()
    wizard = page.url
    code = code_in_the_mailbox(page, email, "Your Plugline activation code")
    page.goto(wizard)
    page.get_by_label("Activation code").fill(code)
    page.get_by_role("button", name="Activate my device").click()

    expect(page.get_by_role("heading", name="Your device is active")).to_be_visible()


# For `locator.evaluate`: whether a chart's canvas has any pixel drawn.
CANVAS_HAS_PIXELS = """canvas => {
    const { width, height } = canvas;
    if (!width || !height) return false;
    const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return true;
    return false;
}"""
