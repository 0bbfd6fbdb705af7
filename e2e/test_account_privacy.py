"""Privacy in a real browser: "Download my data" gives the file, "Close my account" ends it."""

from __future__ import annotations

import json
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import SIGN_IN_ERROR, fits, sign_in, tab_to
from plugline.accounts.models import User

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def violations(page: Page) -> list[str]:
    found: list[dict[str, Any]] = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}" for v in found]


def test_it_downloads_the_accounts_data_with_the_keyboard_on_a_phone(
    alice: Subscriber, phone_page: Page
) -> None:
    page = phone_page
    sign_in(page, alice.email, alice.password)
    page.goto("/account/")
    tab_to(page, page.get_by_role("link", name="Download my data"), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Privacy", level=1)).to_be_visible()
    assert fits(page)
    assert violations(page) == []

    button = page.get_by_role("button", name="Download my data")
    tab_to(page, button, limit=60)
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    download = download_info.value
    assert download.suggested_filename.endswith(".json")
    data = json.loads(download.path().read_text(encoding="utf-8"))
    text = json.dumps(data)
    assert alice.email in text
    assert "+12125550147" in text
    assert "argon2" not in text and alice.password not in text


def test_closing_the_account_signs_out_and_the_old_credentials_stop_working(
    alice: Subscriber, phone_page: Page
) -> None:
    page = phone_page
    sign_in(page, alice.email, alice.password)
    page.goto("/account/privacy/")
    tab_to(page, page.get_by_role("link", name="Close my account"), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Close my account", level=1)).to_be_visible()
    assert fits(page)

    # Without ticking the box: refused, with the reason by the box.
    password = page.get_by_label("Your password")
    tab_to(page, password, limit=60)
    page.keyboard.type(alice.password)
    tab_to(page, page.get_by_role("button", name="Close my account"), limit=10)
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Tick the box to confirm that you want to close your account.")
    ).to_be_visible()
    assert violations(page) == []
    assert User.objects.filter(pk=alice.user.pk).exists()

    tab_to(page, page.get_by_label("Your password"), limit=60)
    page.keyboard.type(alice.password)
    box = page.get_by_role("checkbox")
    tab_to(page, box, limit=10)
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Close my account"), limit=10)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Your account is closed", level=1)).to_be_visible()
    assert not User.objects.filter(pk=alice.user.pk).exists()
    sign_in(page, alice.email, alice.password)
    expect(page.get_by_text(SIGN_IN_ERROR)).to_be_visible()
    sign_in(page, "(212) 555-0147", alice.password)
    expect(page.get_by_text(SIGN_IN_ERROR)).to_be_visible()
