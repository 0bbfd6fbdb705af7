"""Signing in with the keyboard alone."""

from __future__ import annotations

from playwright.sync_api import Page

from conftest import Subscriber
from e2e.helpers import expect_my_account, tab_to


def test_it_signs_in_with_only_the_keyboard(alice: Subscriber, page: Page) -> None:
    page.goto("/accounts/login/")

    tab_to(page, page.get_by_label("Email or phone number"))
    page.keyboard.type(alice.email)
    page.keyboard.press("Tab")  # the next stop after the identifier is the password
    page.keyboard.type(alice.password)
    page.keyboard.press("Enter")

    expect_my_account(page)
