"""axe-core finds no WCAG 2.1 A/AA violation on the two-factor and session pages."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import OpenPage, authenticator_code, open_menu, sign_in
from e2e.test_account_security import sign_out

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}


def violations(page: Page, name: str) -> list[str]:
    found: list[dict[str, Any]] = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [
        f"{name}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}" for v in found
    ]


@pytest.mark.parametrize("width", [1280, 360])
def test_the_security_pages_have_no_accessibility_violations(
    alice: Subscriber, open_page: OpenPage, width: int
) -> None:
    page, other = open_page(width=width), open_page()
    sign_in(other, alice.email, alice.password)  # a second session for the list
    sign_in(page, alice.email, alice.password)
    found: list[str] = []

    page.goto("/accounts/sessions/")
    expect(page.get_by_role("button", name="Sign out everywhere else")).to_be_visible()
    found += violations(page, "sessions")
    page.goto("/accounts/2fa/")
    found += violations(page, "two-factor off")
    page.get_by_role("link", name="Turn on two-factor sign-in").click()
    found += violations(page, "confirm with password")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Incorrect password.")).to_be_visible()
    found += violations(page, "confirm with password, refused")
    page.get_by_label("Password", exact=True).fill(alice.password)
    page.get_by_role("button", name="Confirm").click()
    found += violations(page, "turn on")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    found += violations(page, "turn on, refused")
    page.get_by_label("Code from the app").fill(authenticator_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("#recovery-codes code")).to_have_count(10)
    found += violations(page, "recovery codes")
    page.goto("/accounts/2fa/recovery-codes/")
    found += violations(page, "recovery codes, shown already")
    page.goto("/accounts/2fa/")
    found += violations(page, "two-factor on")
    page.goto("/accounts/2fa/recovery-codes/generate/")
    found += violations(page, "make new codes")
    page.goto("/accounts/2fa/totp/deactivate/")
    found += violations(page, "turn off")
    sign_out(page)
    sign_in(page, alice.email, alice.password)
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    found += violations(page, "code at sign-in")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    found += violations(page, "code at sign-in, refused")
    page.get_by_label("Code").fill(authenticator_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    open_menu(page)
    expect(page.get_by_role("link", name="Account", exact=True)).to_be_visible()
    page.goto("/accounts/2fa/reauthenticate/")
    expect(page.get_by_text("Before this security change, type the code")).to_be_visible()
    found += violations(page, "confirm with a code")

    assert not found, f"at {width} px:\n" + "\n".join(found)
