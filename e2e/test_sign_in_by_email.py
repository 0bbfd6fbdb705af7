"""Sign in with the account's email."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import expect_my_account, sign_in


def test_it_signs_in_by_email_and_lands_on_my_account(alice: Subscriber, page: Page) -> None:
    sign_in(page, alice.email, alice.password)

    expect_my_account(page)
    expect(page.get_by_text("Welcome, Alice.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
