"""A refused sign-in says the same thing whether or not the account exists."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import SIGN_IN_ERROR, SIGN_IN_URL, sign_in


def test_it_refuses_a_wrong_password_with_the_same_message_as_an_unknown_email(
    alice: Subscriber, page: Page
) -> None:
    errors = page.get_by_role("alert")

    sign_in(page, alice.email, "not the password")
    expect(errors).to_have_text(SIGN_IN_ERROR)
    expect(page).to_have_url(SIGN_IN_URL)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_role("link", name="My account")).to_have_count(0)
    wrong_password = errors.inner_text()

    sign_in(page, "nobody@example.com", "not the password")
    expect(errors).to_have_text(SIGN_IN_ERROR)
    expect(page).to_have_url(SIGN_IN_URL)
    assert errors.inner_text() == wrong_password
