"""The free trial in a real browser, with plugline-device playing the plugged-in device.

"Start Trial" on the sign-in page, "Device Detected", the sign-up (the plan the
trial becomes, and card 4242 4242 4242 4242 typed on the sandbox's own page,
checked, not charged) on a phone with the keyboard alone, then the wizard's
steps, the code from the developers' mailbox and "Activate my device": the
device is active, in its free trial.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from e2e.helpers import OpenPage, activation_steps_3_to_7, tab_to
from e2e.test_activate_journey import SERIAL, imported  # noqa: F401
from e2e.test_activate_steps import check_page
from e2e.test_device_page import type_into
from plugline.billing.models import PaymentMethod, Subscription
from plugline.billing.tests.factories import make_plan
from plugline.devices.models import Device, DeviceStatus
from plugline.devices.tests.presence_factory import RunningAgent, running_agent
from plugline.sandbox_gateway.models import SandboxCharge

PASSWORD = "copper kettles sing at noon"  # test persona only


@pytest.fixture
def agent(imported: str, live_server: LiveServer, settings) -> Iterator[RunningAgent]:  # noqa: F811
    """plugline-device playing the imported device; a plan to convert to; the mailbox open."""
    settings.DEBUG = True
    make_plan("1-year", usd=4999)
    with running_agent(serial=SERIAL, key=imported, portal=live_server.url) as running:
        settings.DEVICE_AGENT_PORT = running.port
        yield running


def test_a_new_customer_starts_a_free_trial_with_the_device_plugged_in(
    open_page: OpenPage, live_server: LiveServer, agent: RunningAgent
) -> None:
    page = open_page(width=360)
    page.goto("/accounts/login/")
    tab_to(page, page.get_by_role("link", name="Start Trial"), limit=40)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Step 1 of 7")).to_be_visible()
    page.get_by_role("button", name="Detect device").click()
    expect(page.get_by_role("heading", name="Device Detected")).to_be_visible()
    page.get_by_role("link", name="Next").click()

    # The sign-up, with the keyboard alone on a phone.
    expect(page.get_by_role("heading", name="Your free trial", level=1)).to_be_visible()
    expect(page.get_by_text("Step 2 of 7")).to_be_visible()
    expect(page.get_by_label("12 months: $49.99")).to_be_checked()
    check_page(page, "trial sign-up")
    tab_to(page, page.get_by_role("button", name="Give a card"), limit=40)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sandbox-gateway/card/"))
    expect(
        page.get_by_text("The card is checked with the bank, without charging it.")
    ).to_be_visible()
    type_into(page, "Card number", "4242 4242 4242 4242")
    type_into(page, "Expiry date (MM/YY)", "12/34")
    type_into(page, "Security code (CVC)", "123")
    type_into(page, "Name on the card", "Tara Trial")
    tab_to(page, page.get_by_role("button", name="Save the card"), limit=10)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your card is checked and saved for the trial.")).to_be_visible()
    expect(page.get_by_text("Your card: Visa ending in 4242, checked.")).to_be_visible()
    check_page(page, "trial sign-up with a card")
    tab_to(page, page.get_by_role("button", name="Continue"), limit=40)
    page.keyboard.press("Enter")

    expect(page.get_by_text("Step 3 of 7")).to_be_visible()
    expect(page.get_by_text("Already have an account?")).to_have_count(0)
    activation_steps_3_to_7(
        page, first_name="Tara", last_name="Trial", email="tara@example.com", password=PASSWORD
    )
    device = Device.objects.get(serial=SERIAL)
    assert device.status == DeviceStatus.ACTIVE and device.phone_number == "+12125550171"
    subscription = Subscription.objects.get(device=device)
    assert subscription.trial_ends_at is not None and subscription.plan is not None
    assert PaymentMethod.objects.get(user=device.owner).last4 == "4242"
    assert not SandboxCharge.objects.exists()

    page.goto(f"/devices/{SERIAL}/")
    expect(page.get_by_text("Free trial").first).to_be_visible()
    expect(page.get_by_role("button", name="Cancel the trial")).to_be_visible()
    check_page(page, "device page in trial")
