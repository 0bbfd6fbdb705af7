""" "Calling rates" in a real browser: by country, by a number typed any way, free to +1, refusals.

The demo deck is imported as an operator would. axe-core runs with the
WCAG 2.2 rules on each state of the page, on a desktop and on a 360 px
phone used with the keyboard only, in Danish.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from e2e.helpers import OpenPage, fits, tab_to
from e2e.test_accessibility import AXE_OPTIONS, describe
from plugline.rates.importing import demo_rates_import


@pytest.fixture
def deck(db: None) -> int:
    return demo_rates_import().counts["created"]


def assert_no_axe_violations(page: Page, what: str) -> None:
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{what}:\n{describe(violations)}"


def search(page: Page, query: str, *, label: str = "Country or phone number") -> None:
    page.get_by_label(label).fill(query)
    page.get_by_role("button", name="Search").click()


def test_it_finds_rates_by_country_and_by_number_and_says_us_and_canada_are_free(
    open_page: OpenPage, deck: int
) -> None:
    page = open_page()
    page.goto("/")
    page.locator("footer").get_by_role("link", name="Calling rates").click()
    expect(page.get_by_role("heading", name="Calling rates", level=1)).to_be_visible()
    assert_no_axe_violations(page, "the empty search")

    search(page, "France")
    expect(page.get_by_role("heading", name="France", level=2)).to_be_visible()
    destinations = page.locator(".rate-destination").all_inner_texts()
    assert destinations[:2] == ["France +33", "France - Paris +331"], destinations
    expect(page.locator(".rate-increments").first).to_have_text("Billed per minute")
    assert_no_axe_violations(page, "France")

    # A number written the way it is dialled from the US: its longest prefix's rate.
    search(page, "011 44 20 7946 0018")
    expect(page.get_by_role("heading", name="Calls to +44 20 7946 0018")).to_be_visible()
    expect(page.locator(".rate-destination")).to_have_text(["United Kingdom - London +4420"])
    expect(page.locator(".rate-price")).to_have_text(["$0.01"])
    assert_no_axe_violations(page, "a London number")

    search(page, "(212) 555-0147")
    expect(page.get_by_text("Free: calls to numbers starting with +1")).to_be_visible()
    expect(page.locator(".rate-price")).to_have_count(0)

    search(page, "+44 12")
    expect(page.get_by_text("“+44 12” is not a phone number we can read.")).to_be_visible()
    expect(page.get_by_label("Country or phone number")).to_have_value("+44 12")
    assert_no_axe_violations(page, "a number that cannot be read")


def test_on_a_phone_in_danish_with_the_keyboard_only(
    open_page: OpenPage, deck: int, live_server: LiveServer
) -> None:
    page = open_page(width=360, height=780)
    page.context.add_cookies([{"name": "plugline_language", "value": "da", "url": live_server.url}])
    page.goto("/")
    # Linked from every page's footer, so the top bar's menu stays as it was.
    page.locator("footer").get_by_role("link", name="Opkaldspriser").click()
    expect(page.locator("html")).to_have_attribute("lang", "da")

    field = page.get_by_label("Land eller telefonnummer")
    tab_to(page, field, limit=30)
    page.keyboard.type("0045 31 23 45 67")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Opkald til +45 31 23 45 67")).to_be_visible()
    expect(page.locator(".rate-destination")).to_have_text(["Danmark - Mobil +453"])
    expect(page.locator(".rate-price")).to_have_text(["0,07\u00a0USD"])
    expect(page.locator(".rate-increments")).to_have_text(
        ["Mindst 30 sekunder, derefter i intervaller på 6 sekunder"]
    )
    assert fits(page)
    assert_no_axe_violations(page, "a Danish mobile at 360 px")

    tab_to(page, field, limit=30)
    page.keyboard.press("Control+A")
    page.keyboard.type("Filippinerne")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Filippinerne", level=2)).to_be_visible()
    assert page.locator(".rate-destination").count() == 3
    assert fits(page)
    assert_no_axe_violations(page, "the Philippines at 360 px")

    tab_to(page, field, limit=30)
    page.keyboard.press("Control+A")
    page.keyboard.type("Xyzzyland")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Vi fandt intet land ved navn »Xyzzyland«.")).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, "no such country at 360 px")
