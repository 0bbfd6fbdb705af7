"""A used device in the browser: the person holding it detects it with plugline-device and asks;
the owner approves from the email; the device leaves the owner's account for the new one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import Subscriber
from e2e.helpers import OpenPage, sign_in, tab_to
from e2e.test_accessibility import AXE_OPTIONS, describe
from plugline.devices.keys import device_key_generate, public_key_from_device_key
from plugline.devices.models import Device, DeviceStatus, TransferRequest, TransferStatus
from plugline.devices.tests.presence_factory import RunningAgent, running_agent

ASK = "Ask the current owner to release it"
OWNER_EMAIL_SUBJECT = "Someone asks you to release your Plugline device"


def fits(page: Page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def assert_no_axe_violations(page: Page, what: str) -> None:
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{what}:\n{describe(violations)}"


@pytest.fixture
def mailbox(settings, live_server: LiveServer) -> None:
    """The developers' mailbox answers only while DEBUG is on; emails link to the live server."""
    settings.DEBUG = True
    settings.SITE_URL = live_server.url


@pytest.fixture
def alices_device_plugged_in_elsewhere(
    alice: Subscriber, live_server: LiveServer, settings
) -> Iterator[RunningAgent]:
    """Alice's device, with its key, plugged into someone else's computer (plugline-device)."""
    device = alice.devices[0]
    key = device_key_generate()
    Device.objects.filter(pk=device.pk).update(public_key=public_key_from_device_key(key))
    with running_agent(serial=device.serial, key=key, portal=live_server.url) as agent:
        settings.DEVICE_AGENT_PORT = agent.port
        yield agent


def test_the_owner_approves_from_the_email_and_the_device_moves(
    alice: Subscriber,
    alices_device_plugged_in_elsewhere: RunningAgent,
    open_page: OpenPage,
    mailbox: None,
) -> None:
    serial = alice.devices[0].serial
    carol = open_page(width=360, height=780)  # bought Alice's device second-hand

    carol.goto("/activate/")
    carol.get_by_role("button", name="Detect device").click()
    expect(
        carol.get_by_role("heading", name="This device is on someone else's account")
    ).to_be_visible()
    # Holding the device is not enough: no way on to the next step.
    expect(carol.get_by_role("link", name="Next")).to_have_count(0)
    assert fits(carol)
    assert_no_axe_violations(carol, "owned elsewhere")

    email = carol.get_by_label("Your email (optional)")
    tab_to(carol, email, limit=60)
    carol.keyboard.type("carol@example.com")
    tab_to(carol, carol.get_by_role("button", name=ASK), limit=5)
    carol.keyboard.press("Enter")
    expect(carol.get_by_text("We emailed the device's owner.")).to_be_visible()
    expect(carol.get_by_text("Waiting for the owner's answer (asked on")).to_be_visible()
    expect(carol.get_by_role("button", name=ASK)).to_have_count(0)
    assert fits(carol)
    assert_no_axe_violations(carol, "waiting for the owner")
    assert Device.objects.get(serial=serial).owner_id == alice.user.pk

    # Alice reads the email and opens its link.
    owner = open_page(width=360, height=780)
    owner.goto("/dev/mail/")
    owner.locator(".mailbox li", has_text=alice.email).get_by_role(
        "link", name=OWNER_EMAIL_SUBJECT
    ).click()
    body = owner.locator(".mail-body")
    expect(body).to_contain_text(serial)
    expect(body).not_to_contain_text("carol@example.com")
    body.get_by_role("link").click()

    expect(owner.get_by_role("heading", name="Release your device?", level=1)).to_be_visible()
    expect(owner.get_by_text(serial)).to_be_visible()
    assert fits(owner)
    assert_no_axe_violations(owner, "answer page")
    answer_url = owner.url
    # Opening the link changed nothing.
    assert TransferRequest.objects.get().status == TransferStatus.PENDING

    tab_to(owner, owner.get_by_role("button", name="Release my device"), limit=60)
    owner.keyboard.press("Enter")
    expect(owner.get_by_role("heading", name="Your device is released", level=1)).to_be_visible()
    assert_no_axe_violations(owner, "released")
    moved = Device.objects.get(serial=serial)
    assert (moved.owner_id, moved.status, moved.phone_number) == (
        None,
        DeviceStatus.RELEASED,
        None,
    )

    # The link works once.
    owner.goto(answer_url)
    expect(owner.get_by_role("heading", name="This link no longer works")).to_be_visible()
    assert_no_axe_violations(owner, "used link")

    # Alice no longer sees the device.
    sign_in(owner, alice.email, alice.password)
    expect(owner.get_by_role("heading", name="My account", level=1)).to_be_visible()
    expect(owner.get_by_text("There is no device on your account yet.")).to_be_visible()
    expect(owner.get_by_text(serial)).to_have_count(0)
    response = owner.goto(f"/devices/{serial}/")
    assert response is not None and response.status == 404

    # Carol is told, and her wizard goes on.
    carol.goto("/dev/mail/")
    expect(
        carol.locator(".mailbox li", has_text="carol@example.com").get_by_role(
            "link", name="The device is released: you can activate it"
        )
    ).to_be_visible()
    carol.goto("/activate/")
    expect(carol.get_by_role("heading", name="Device Detected")).to_be_visible()
    expect(carol.get_by_role("link", name="Next")).to_be_visible()


def test_the_owner_declines_and_keeps_the_device(
    alice: Subscriber,
    alices_device_plugged_in_elsewhere: RunningAgent,
    open_page: OpenPage,
    mailbox: None,
) -> None:
    serial = alice.devices[0].serial
    someone = open_page()
    someone.goto("/activate/")
    someone.get_by_role("button", name="Detect device").click()
    someone.get_by_role("button", name=ASK).click()
    expect(someone.get_by_text("Waiting for the owner's answer")).to_be_visible()

    owner = open_page()
    owner.goto("/dev/mail/")
    owner.get_by_role("link", name=OWNER_EMAIL_SUBJECT).click()
    owner.locator(".mail-body").get_by_role("link").click()
    owner.get_by_role("button", name="Keep my device").click()
    expect(owner.get_by_role("heading", name="Your device stays with you", level=1)).to_be_visible()

    assert Device.objects.get(serial=serial).owner_id == alice.user.pk
    sign_in(owner, alice.email, alice.password)
    expect(owner.locator(".devices .number")).to_have_text(["(212) 555-0147"])
    # The person who asked may ask again; the device is still not theirs.
    someone.goto("/activate/")
    someone.get_by_role("button", name="Detect device").click()
    expect(someone.get_by_role("button", name=ASK)).to_be_visible()
    expect(someone.get_by_role("link", name="Next")).to_have_count(0)
