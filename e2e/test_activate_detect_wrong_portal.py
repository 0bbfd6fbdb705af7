""" "Detect device" with a device program started for another address than this portal's:
the page says how to start it, rather than that the device cannot be found."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from e2e.test_activate_detect import NOT_FOUND, assert_no_axe_violations
from plugline.devices.tests.presence_factory import BoxedDevice, make_boxed_device, running_agent


@pytest.fixture
def boxed(transactional_db: None) -> BoxedDevice:
    return make_boxed_device("PLG60000009")


@pytest.fixture
def agent_for_another_port(boxed: BoxedDevice, live_server: LiveServer, settings) -> Iterator[str]:
    """plugline-device started for the portal's default port, while the portal runs elsewhere."""
    with running_agent(serial=boxed.serial, key=boxed.key, portal="http://127.0.0.1:8000") as agent:
        settings.DEVICE_AGENT_PORT = agent.port
        yield agent.log()


def test_it_says_the_device_program_does_not_accept_this_address(
    page: Page, live_server: LiveServer, agent_for_another_port: str
) -> None:
    page.goto("/activate/")
    page.get_by_role("button", name="Detect device").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        "The device program on this computer is running, but it does not accept this address. "
        f"Stop it and start it again with --portal {live_server.url}, then try again."
    )
    expect(alert).not_to_contain_text(NOT_FOUND)
    expect(page.get_by_role("heading", name="Device Detected")).to_have_count(0)
    assert_no_axe_violations(page, "device program refuses this address")


def test_it_says_so_in_french(
    page: Page, live_server: LiveServer, agent_for_another_port: str
) -> None:
    page.context.add_cookies([{"name": "plugline_language", "value": "fr", "url": live_server.url}])
    page.goto("/activate/")
    page.locator("#detect-button").click()

    expect(page.get_by_role("alert")).to_contain_text(
        f"Arrêtez-le et relancez-le avec --portal {live_server.url}, puis réessayez."
    )
