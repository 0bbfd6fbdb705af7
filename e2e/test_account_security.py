"""Security in a real browser: two-factor sign-in, "Sign out everywhere else"; 360 px, keyboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import (
    PHONE_NUMBER,
    SIGN_IN_URL,
    OpenPage,
    authenticator_code,
    fits,
    open_menu,
    sign_in,
    tab_to,
)

pytestmark = pytest.mark.django_db(transaction=True)


def sign_out(page: Page) -> None:
    open_menu(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    open_menu(page)
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_two_factor_sign_in_from_turning_it_on_to_a_used_recovery_code(
    alice: Subscriber, phone_page: Page, tmp_path: Path
) -> None:
    page = phone_page
    sign_in(page, alice.email, alice.password)
    page.goto("/account/")
    page.get_by_role("link", name="Two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in", level=1)).to_be_visible()
    expect(page.get_by_text("Two-factor sign-in is off.")).to_be_visible()
    assert fits(page)

    # Turning it on asks for the password first, with the keyboard alone.
    page.get_by_role("link", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert fits(page)
    password = page.get_by_label("Password")
    tab_to(page, password)
    page.keyboard.type(alice.password)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Turn on two-factor sign-in", level=1)).to_be_visible()
    assert fits(page)
    qr = page.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr).to_be_visible()
    # The QR code is drawn from the page itself (no network), at a scannable size.
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert qr.bounding_box()["width"] >= 150  # type: ignore[index]
    # Someone who cannot scan reads the key, shown as text next to it.
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)

    code_field = page.get_by_label("Code from the app")
    tab_to(page, code_field)
    page.keyboard.type(authenticator_code(secret))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Recovery codes", level=1)).to_be_visible()
    expect(page.get_by_text("Two-factor sign-in is on.")).to_be_visible()
    assert fits(page)
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the codes").click()
    download = info.value
    assert download.suggested_filename == "plugline-recovery-codes.txt"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_text().split()[-10:] == codes

    page.get_by_role("link", name="I have saved my codes").click()
    expect(page.get_by_text("You have 10 unused recovery codes out of 10.")).to_be_visible()
    sign_out(page)

    # The next sign-in, by phone number, asks for a code: a recovery code, typed.
    sign_in(page, PHONE_NUMBER, alice.password)
    expect(page.get_by_role("heading", name="Two-factor sign-in", level=1)).to_be_visible()
    assert fits(page)
    expect(page.get_by_label("Code")).to_be_focused()
    page.keyboard.type(codes[0])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    open_menu(page)
    expect(page.get_by_role("link", name="Account", exact=True)).to_be_visible()
    page.goto("/accounts/2fa/")
    expect(page.get_by_text("You have 9 unused recovery codes out of 10.")).to_be_visible()
    sign_out(page)

    # The same recovery code a second time is refused; the app's code works.
    sign_in(page, alice.email, alice.password)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    open_menu(page)
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()  # still signed out
    page.get_by_label("Code").fill(authenticator_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    open_menu(page)
    expect(page.get_by_role("link", name="Account", exact=True)).to_be_visible()


def test_sign_out_everywhere_else_ends_the_other_browsers_session(
    alice: Subscriber, open_page: OpenPage
) -> None:
    laptop, phone = open_page(), open_page(width=360, height=780)
    sign_in(laptop, alice.email, alice.password)
    sign_in(phone, PHONE_NUMBER, alice.password)
    phone.goto("/account/")
    expect(phone.get_by_role("heading", name="Account", level=1)).to_be_visible()

    # On the phone (360 px), the list shows both, this one marked.
    phone.get_by_role("link", name="Signed-in browsers and devices").click()
    expect(
        phone.get_by_role("heading", name="Signed-in browsers and devices", level=1)
    ).to_be_visible()
    assert fits(phone)
    names = phone.locator(".session-name")
    expect(names).to_have_count(2)
    # Both are Chromium on Linux here; this one is marked, the other is not.
    expect(names.filter(has_text="This browser")).to_have_count(1)
    expect(names.first).to_have_text(re.compile(r"^\s*Chrome on Linux\s+This browser\s*$"))
    expect(names.last).to_have_text(re.compile(r"^\s*Chrome on Linux\s*$"))

    # Signing the laptop out, from the phone, with the keyboard alone.
    button = phone.get_by_role("button", name="Sign out everywhere else")
    tab_to(phone, button)
    phone.keyboard.press("Enter")
    done = "You are signed out everywhere else. Only this browser is still signed in."
    expect(phone.get_by_text(done)).to_be_visible()
    expect(names).to_have_count(1)

    # The laptop's next page is the sign-in page; the phone is still signed in.
    laptop.goto("/account/")
    expect(laptop).to_have_url(SIGN_IN_URL)
    assert laptop.url.endswith("/accounts/login/?next=/account/")
    expect(laptop.get_by_label("Email or phone number")).to_be_visible()
    phone.reload()
    expect(names).to_have_count(1)
