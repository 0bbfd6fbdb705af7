"""What a subscriber does in the browser, in the words of the pages."""

from __future__ import annotations

import re
from collections.abc import Callable

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


def expect_my_account(page: Page) -> None:
    """Signed in, on "My account", with alice's device number in the list."""
    expect(page).to_have_url(HOME_URL)
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    expect(page.locator(".devices .number")).to_have_text([PHONE_NUMBER])


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
