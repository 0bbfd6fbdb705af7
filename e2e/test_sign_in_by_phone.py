"""Sign in with a device's phone number, typed the way people type it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import Subscriber, make_subscriber
from e2e.helpers import expect_my_account, sign_in


@pytest.mark.parametrize(
    "typed", ["(212) 555-0147", "212-555-0147", "2125550147", "+1 212 555 0147"]
)
def test_it_signs_in_by_phone_number_in_any_common_format(
    alice: Subscriber, page: Page, typed: str
) -> None:
    # Someone else's account with a similar number must not be the one opened.
    make_subscriber("carol@example.com", numbers=("+12125550148",))

    sign_in(page, typed, alice.password)

    expect_my_account(page)
    expect(page.get_by_text("Welcome, Alice.")).to_be_visible()
