""" "Find a store" in a real browser with no internet: Montréal, Copenhagen, a ZIP code, the map.

Every request to a host other than the live server is aborted and
recorded: the map (Leaflet over the bundled country outlines) must draw
without any. axe-core runs with the WCAG 2.2 rules too, so that pins
crowding each other on a phone (target size) fail the test.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Geolocation, Page, Route, expect
from pytest_django.live_server_helper import LiveServer

from e2e.helpers import OpenPage, fits, tab_to
from e2e.test_accessibility import describe
from plugline.stores.importing import demo_stores_import
from plugline.stores.search import stores_near

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
NEAR_COPENHAGEN: Geolocation = {"latitude": 55.6880, "longitude": 12.5600}


@pytest.fixture
def stores(db: None) -> int:
    """The demo's few hundred stores (US, Canada, Denmark), imported as an operator would."""
    return demo_stores_import().counts["created"]


class Offline:
    """Opens pages on which any request that would leave this machine is aborted and noted."""

    def __init__(self, open_page: OpenPage) -> None:
        self.open_page = open_page
        self.left: list[str] = []

    def _route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.left.append(route.request.url)
            route.abort("internetdisconnected")

    def open(self, *, width: int = 1280) -> Page:
        page = self.open_page(width=width, height=780 if width < 600 else 800)
        page.context.route("**/*", self._route)
        return page


@pytest.fixture
def offline(open_page: OpenPage) -> Offline:
    return Offline(open_page)


def listed(page: Page) -> tuple[list[str], list[float]]:
    """The names and distances of the stores listed, as numbers in the page's own unit."""
    names = [text.strip() for text in page.locator(".stores .store-name").all_inner_texts()]
    names = [re.sub(r"^\d+\s+", "", name) for name in names]
    distances = []
    for text in page.locator(".stores .store-distance").all_inner_texts():
        number = re.match(r"[\d.,\s\u00a0]+", text)
        assert number, text
        value = number.group().strip().replace("\u00a0", "").replace(" ", "")
        distances.append(
            float(
                value.replace(".", "").replace(",", ".") if "km" in text else value.replace(",", "")
            )
        )
    return names, distances


def expect_map(page: Page, count: int) -> None:
    """The map is drawn: countries outlined, one numbered pin per store listed, the first first."""
    page.wait_for_function("() => window.storeMapReady === true")
    region = page.locator("#store-map")
    expect(region).to_be_visible()
    expect(region).to_have_attribute("role", "region")
    assert page.locator("#store-map .leaflet-overlay-pane path").count() > 100
    expect(page.locator("#store-map .store-pin")).to_have_count(count)
    expect(page.locator("#store-map .store-pin").first).to_have_text("1")
    first = page.locator("#store-map .store-pin").first.get_attribute("aria-label")
    name = page.locator(".stores .store-name").first.inner_text()
    assert first and first.endswith(": " + re.sub(r"^\d+\s+", "", name)), (first, name)


def assert_no_axe_violations(page: Page, what: str) -> None:
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{what}:\n{describe(violations)}"


def search(page: Page, query: str) -> None:
    page.get_by_label("City or postal code").fill(query)
    page.get_by_role("button", name="Search").click()


def test_it_finds_stores_near_montreal_copenhagen_and_a_zip_code_offline(
    offline: Offline, stores: int
) -> None:
    page = offline.open()
    page.goto("/")
    page.get_by_role("link", name="Find a store").click()
    expect(page.get_by_role("heading", name="Find a store", level=1)).to_be_visible()
    # This browser was not allowed to share where it is: the page says what to do instead.
    page.get_by_role("button", name="Use my location").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your browser did not share your location. Type a city or postal code instead."
    )

    for query, heading, city in [
        ("Montréal", "Stores near Montréal, QC, Canada", "Montréal"),
        ("Copenhagen", "Stores near Copenhagen, Hovedstaden, Denmark", "København"),
        ("10001", "Stores near 10001, NY, United States", "New York"),
    ]:
        search(page, query)
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        names, distances = listed(page)
        assert len(names) == 10
        assert distances == sorted(distances) and distances[0] < 2, distances
        assert all(
            text.endswith(" mi") for text in page.locator(".store-distance").all_inner_texts()
        )
        expect(page.locator(".stores address").first).to_contain_text(city)
        expect_map(page, 10)
        expect(page.get_by_role("button", name=f"Store 1: {names[0]}").first).to_be_visible()
        assert_no_axe_violations(page, query)

    # A pin is a button for the keyboard too: Enter opens its store's name.
    tab_to(page, page.get_by_role("button", name=f"Store 1: {names[0]}").first, limit=60)
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup-content")).to_contain_text(f"1. {names[0]}")
    assert offline.left == []


def test_on_a_phone_in_danish_with_the_keyboard_then_near_where_i_am(
    offline: Offline, stores: int, live_server: LiveServer
) -> None:
    page = offline.open(width=360)
    page.context.add_cookies([{"name": "plugline_language", "value": "da", "url": live_server.url}])
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(NEAR_COPENHAGEN)
    page.goto("/stores/")
    expect(page.locator("html")).to_have_attribute("lang", "da")

    tab_to(page, page.locator("#id_q"), limit=30)
    page.keyboard.type("København")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=K%C3%B8benhavn"))
    names, distances = listed(page)
    assert len(names) == 10 and distances == sorted(distances)
    texts = page.locator(".store-distance").all_inner_texts()
    assert all(re.fullmatch(r"\d+,\d km", text) for text in texts), texts
    expect(page.locator(".stores address").first).to_contain_text("København")
    expect_map(page, 10)
    assert fits(page)
    assert_no_axe_violations(page, "København at 360 px")

    # "Use my location": the browser says where it is; the nearest store comes first.
    button = page.locator("#use-my-location")
    expect(button).to_be_visible()
    tab_to(page, button, limit=30)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"lat=55\.688"))
    names, distances = listed(page)
    nearest = stores_near(NEAR_COPENHAGEN["latitude"], NEAR_COPENHAGEN["longitude"])
    assert names == [hit.store.name for hit in nearest]
    assert distances == sorted(distances) and distances[0] < 2
    expect(page.locator("#id_q")).to_have_value("")
    expect_map(page, 10)
    assert fits(page)
    assert_no_axe_violations(page, "near my location at 360 px")
    assert offline.left == []
