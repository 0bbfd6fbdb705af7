"""Forgot password: a reset link by email, asked for with the phone number."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from pytest_django.fixtures import Settings

from conftest import Subscriber
from e2e.helpers import (
    PHONE_NUMBER,
    SIGN_IN_ERROR,
    SIGN_IN_URL,
    OpenPage,
    expect_my_account,
    sign_in,
)

NEW_PASSWORD = "Tidy-Lantern-4821"


@pytest.fixture
def mailbox(settings: Settings) -> None:
    """The developers' mailbox answers only while DEBUG is on."""
    settings.DEBUG = True


def test_it_resets_the_password_with_the_emailed_link_and_signs_out_other_browsers(
    alice: Subscriber, open_page: OpenPage, mailbox: None
) -> None:
    laptop, page = open_page(), open_page()
    sign_in(laptop, alice.email, alice.password)
    expect_my_account(laptop)

    # Asked for by phone number, from the sign-in page.
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email or phone number").fill(PHONE_NUMBER)
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.get_by_role("heading", name="Check your email", level=1)).to_be_visible()

    # The email, read in the developers' mailbox; its link is followed.
    page.goto("/dev/mail/")
    email = page.locator(".mailbox li", has_text=alice.email)
    email.get_by_role("link", name="Reset your Plugline password").click()
    expect(page.get_by_role("heading", name="Reset your Plugline password")).to_be_visible()
    reset_link = page.locator(".mail-body").get_by_role("link")
    expect(reset_link).to_have_count(1)
    reset_url = reset_link.get_attribute("href")
    assert reset_url is not None
    reset_link.click()

    expect(page.get_by_role("heading", name="Choose a new password", level=1)).to_be_visible()
    page.get_by_label("New Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New Password (again)", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("heading", name="Password changed", level=1)).to_be_visible()

    # The link works once.
    page.goto(reset_url)
    expect(page.get_by_role("heading", name="This link no longer works", level=1)).to_be_visible()
    expect(page.get_by_label("New Password", exact=True)).to_have_count(0)

    # The old password no longer opens the account; the new one does.
    sign_in(page, alice.email, alice.password)
    expect(page.get_by_role("alert")).to_have_text(SIGN_IN_ERROR)
    sign_in(page, alice.email, NEW_PASSWORD)
    expect_my_account(page)

    # The browser signed in before the reset is signed out.
    laptop.reload()
    expect(laptop).to_have_url(SIGN_IN_URL)
    expect(laptop.get_by_label("Email or phone number")).to_be_visible()
    expect(laptop.get_by_role("heading", name="My account")).to_have_count(0)
