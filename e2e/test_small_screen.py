"""The sign-in page on a phone, 360 px wide."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_it_fits_the_sign_in_page_in_360_pixels(phone_page: Page) -> None:
    page = phone_page
    page.goto("/accounts/login/")

    # No sideways scrolling. (clientWidth, not innerWidth: a mobile browser
    # widens innerWidth to fit content that overflows.)
    scroll_width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert client_width == 360
    assert scroll_width <= 360

    button = page.get_by_role("button", name="Log in")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 360
    expect(page.get_by_label("Email or phone number")).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
