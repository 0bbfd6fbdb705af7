"""The top bar: a "Menu" button on a phone, the nav inline on a desktop, and a focus ring
that shows both on the white page and on the coloured band."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from coloraide import Color
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import Subscriber
from e2e.helpers import OpenPage, fits, sign_in, tab_to
from e2e.test_accessibility import AXE_OPTIONS, describe

TOP_BAR_LINKS = ["Activate", "Find a store", "My account", "Renew", "Account"]


def is_focused(target: Locator) -> bool:
    return bool(target.evaluate("element => element === document.activeElement"))


def height(target: Locator) -> float:
    box = target.bounding_box()
    assert box is not None
    return box["height"]


def test_it_folds_the_nav_into_a_menu_button_on_a_phone(
    alice: Subscriber, phone_page: Page
) -> None:
    page = phone_page
    sign_in(page, alice.email, alice.password)
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    menu = page.get_by_role("button", name="Menu")
    renew = page.get_by_role("link", name="Renew", exact=True)

    # Closed: the brand and the button, in a band far shorter than a quarter of the screen.
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_have_attribute("aria-controls", "site-menu")
    expect(renew).to_be_hidden()
    expect(page.get_by_label("Language")).to_be_hidden()
    assert height(page.locator("header")) < 80

    # Open with the keyboard: Enter on the button shows the nav and the language form.
    tab_to(page, menu)
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in TOP_BAR_LINKS:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_label("Language")).to_be_visible()
    assert fits(page)
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"open menu at 360 px:\n{describe(violations)}"

    # The next Tab stops are the menu's links, in order.
    page.keyboard.press("Tab")
    assert is_focused(page.get_by_role("link", name="Activate"))
    tab_to(page, renew, limit=5)

    # Escape closes it and gives the focus back to the button; Space opens it again.
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(renew).to_be_hidden()
    assert is_focused(menu)
    page.keyboard.press("Space")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "false")

    # Following a link from the menu works.
    page.keyboard.press("Enter")
    tab_to(page, renew, limit=10)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Renew", level=1)).to_be_visible()


def test_it_shows_the_nav_inline_without_the_button_on_a_desktop(
    alice: Subscriber, page: Page
) -> None:
    sign_in(page, alice.email, alice.password)
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()

    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    for name in TOP_BAR_LINKS:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_label("Language")).to_be_visible()
    # One row: the brand, the links and the language form side by side.
    assert height(page.locator("header")) < 90
    tab_to(page, page.get_by_role("link", name="Renew", exact=True))


@pytest.mark.parametrize("width", [360, 1280])
def test_it_keeps_the_nav_reachable_without_javascript(
    browser: Browser, live_server: LiveServer, width: int
) -> None:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": 780},
        java_script_enabled=False,
    )
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        # No button that could not work; the links and the language form stay in view.
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        for name in ["Activate", "Find a store", "Sign in"]:
            expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
        expect(page.get_by_label("Language")).to_be_visible()
    finally:
        context.close()


def ring_colours(target: Locator) -> list[Color]:
    """The colours of the focus ring drawn around `target`: its outline and its box-shadow."""
    outline, shadow = target.evaluate(
        "element => { const s = getComputedStyle(element);"
        " return [s.outlineStyle === 'none' ? '' : s.outlineColor, s.boxShadow]; }"
    )
    colours = [Color(outline)] if outline else []
    colours += [Color(c) for c in re.findall(r"rgba?\([^)]*\)", shadow)]
    return colours


def background_of(target: Locator) -> Color:
    """The first opaque background behind `target`."""
    return Color(
        target.evaluate(
            "element => { for (let e = element.parentElement; e; e = e.parentElement) {"
            " const c = getComputedStyle(e).backgroundColor;"
            " if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; }"
            " return 'rgb(255, 255, 255)'; }"
        )
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_it_draws_a_focus_ring_that_shows_on_the_page_and_on_the_band(
    open_page: OpenPage, live_server: LiveServer, width: int
) -> None:
    page = open_page(width=width)
    page.goto("/accounts/login/")
    on_band = page.get_by_role("link", name="Plugline")  # the brand, on the band
    on_page = page.get_by_role("link", name="Forgot password?")  # in the white page

    for target in (on_band, on_page):
        tab_to(page, target)
        ring = ring_colours(target)
        background = background_of(target)
        assert ring, f"no focus ring on {target}"
        best = max(colour.contrast(background, method="wcag21") for colour in ring)
        assert best >= 3, f"focus ring on {background.to_string(hex=True)}: {best:.2f}:1"

    # The band really is a different colour from the page: the ring was tried on both.
    assert background_of(on_band).contrast("white", method="wcag21") >= 3
    assert background_of(on_page).contrast("white", method="wcag21") == 1
