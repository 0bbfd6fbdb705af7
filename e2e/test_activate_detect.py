"""Step 1 of activation in the browser: "Detect device" with the real plugline-device
running on this computer, and the serial with the label code when it is not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from e2e.helpers import OpenPage, tab_to
from e2e.test_accessibility import AXE_OPTIONS, describe
from plugline.devices.tests.presence_factory import (
    BoxedDevice,
    RunningAgent,
    make_boxed_device,
    port_with_nothing_listening,
    running_agent,
)

NOT_FOUND = "We could not find your device. Check that it is plugged in"


@pytest.fixture
def boxed(transactional_db: None) -> BoxedDevice:
    """A device bought in a store, still in its box."""
    return make_boxed_device("PLG60000001")


@pytest.fixture
def agent(boxed: BoxedDevice, live_server: LiveServer, settings) -> Iterator[RunningAgent]:
    """plugline-device for that device, answering the live server's pages."""
    with running_agent(serial=boxed.serial, key=boxed.key, portal=live_server.url) as running:
        settings.DEVICE_AGENT_PORT = running.port
        yield running


@pytest.fixture
def no_agent(settings) -> None:
    settings.DEVICE_AGENT_PORT = port_with_nothing_listening()


def fits(page: Page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def expect_detected(page: Page, boxed: BoxedDevice) -> None:
    expect(page.get_by_role("heading", name="Device Detected")).to_be_visible()
    picture = page.get_by_role("img", name="Plugline USB")
    expect(picture).to_be_visible()
    # The picture itself loaded (not only its alt text).
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
    )
    expect(page.locator("#detect-result .serial")).to_have_text(boxed.serial)
    expect(page.get_by_role("link", name="Next")).to_have_attribute("href", "/activate/purchase/")


def assert_no_axe_violations(page: Page, what: str) -> None:
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{what}:\n{describe(violations)}"


def test_it_detects_the_plugged_in_device(
    page: Page, boxed: BoxedDevice, agent: RunningAgent
) -> None:
    page.goto("/")
    page.get_by_role("link", name="Activate").click()
    expect(page.get_by_text("Step 1 of 7")).to_be_visible()
    assert_no_axe_violations(page, "detect page")

    page.get_by_role("button", name="Detect device").click()

    expect_detected(page, boxed)
    assert_no_axe_violations(page, "device detected")
    # The browser asked the agent first (CORS preflight), then had it sign.
    log = agent.log()
    assert '"OPTIONS /v1/presence" 204' in log
    assert '"POST /v1/presence" 200' in log
    # It stays detected when the page is opened again.
    page.reload()
    expect(page.get_by_role("heading", name="Device Detected")).to_be_visible()


def test_it_detects_with_the_keyboard_alone_on_a_phone(
    phone_page: Page, boxed: BoxedDevice, agent: RunningAgent
) -> None:
    page = phone_page
    page.goto("/activate/")
    assert fits(page)

    button = page.get_by_role("button", name="Detect device")
    tab_to(page, button)
    page.keyboard.press("Enter")

    expect_detected(page, boxed)
    # The news is where the focus is, and the way on is the next stop.
    expect(page.get_by_role("heading", name="Device Detected")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Next")).to_be_focused()
    assert fits(page)
    assert_no_axe_violations(page, "device detected at 360 px")


def test_it_takes_the_serial_and_label_code_without_the_agent(
    open_page: OpenPage, boxed: BoxedDevice, live_server: LiveServer, no_agent: None
) -> None:
    page = open_page()
    page.goto("/activate/")
    page.get_by_role("button", name="Detect device").click()

    expect(page.get_by_role("alert")).to_contain_text(NOT_FOUND)
    assert_no_axe_violations(page, "device not found")

    page.get_by_label("Serial number", exact=True).fill(boxed.serial)
    page.get_by_label("Label code", exact=True).fill(boxed.label_code)
    page.get_by_role("button", name="Check my device").click()

    expect_detected(page, boxed)


def test_it_explains_a_wrong_label_code_with_the_keyboard_alone_on_a_phone(
    open_page: OpenPage, boxed: BoxedDevice, live_server: LiveServer, no_agent: None
) -> None:
    page = open_page(width=360, height=780)
    page.goto("/activate/")

    tab_to(page, page.get_by_label("Serial number", exact=True), limit=40)
    page.keyboard.type(boxed.serial)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Label code", exact=True)).to_be_focused()
    page.keyboard.type("WRONG234")
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert")).to_contain_text(
        "This serial number and label code do not match a device."
    )
    # Nothing typed is lost.
    expect(page.get_by_label("Serial number", exact=True)).to_have_value(boxed.serial)
    expect(page.get_by_label("Label code", exact=True)).to_have_value("WRONG234")
    assert fits(page)
    assert_no_axe_violations(page, "wrong label code at 360 px")

    tab_to(page, page.get_by_label("Label code", exact=True), limit=40)
    page.keyboard.press("Control+A")
    page.keyboard.type(boxed.label_code)
    page.keyboard.press("Enter")

    expect_detected(page, boxed)


def test_it_works_without_javascript(
    browser, live_server: LiveServer, boxed: BoxedDevice, no_agent: None
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/activate/")
        # Nothing that needs a script is offered.
        expect(page.get_by_role("button", name="Detect device")).to_be_hidden()

        page.get_by_label("Serial number", exact=True).fill(boxed.serial)
        page.get_by_label("Label code", exact=True).fill(boxed.label_code)
        page.get_by_role("button", name="Check my device").click()

        expect(page.get_by_role("heading", name="Device Detected")).to_be_visible()
    finally:
        context.close()
