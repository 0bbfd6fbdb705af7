"""Without JavaScript, what only a script can work is not shown: "Use my location" on Find
a store and "Detect device" on Activate stay hidden, while the search and the label code's
form work. (A script-only button shown before its script ran did nothing when pressed.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer


@pytest.fixture
def no_script_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_it_hides_the_buttons_only_a_script_can_work(no_script_page: Page, db: None) -> None:
    page = no_script_page
    page.goto("/stores/")
    expect(page.get_by_role("heading", name="Find a store", level=1)).to_be_visible()
    expect(page.locator("#use-my-location")).to_be_hidden()
    expect(page.get_by_role("button", name="Search")).to_be_visible()

    page.goto("/activate/")
    expect(page.locator("#detect")).to_be_hidden()
    expect(
        page.get_by_role("heading", name="Type the serial number and label code")
    ).to_be_visible()
