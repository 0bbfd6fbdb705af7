"""A device's page in a real browser: 360 px, the keyboard alone, no axe-core violation."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import sign_in, tab_to
from e2e.test_accessibility import AXE_OPTIONS, describe
from plugline.devices.models import Device

BAD_POSTAL_CODE = "Enter a ZIP code of 5 digits, such as 95014, or ZIP+4, such as 22162-1010."


def fits(page: Page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def assert_no_axe_violations(page: Page, what: str) -> None:
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{what}:\n{describe(violations)}"


def type_into(page: Page, label: str, text: str) -> None:
    """Tab to the field, clear it and type, as someone without a mouse would."""
    # The input, not its section (a section named like its one field, "Nickname").
    field = page.get_by_label(label, exact=True).and_(page.locator("input"))
    tab_to(page, field, limit=80)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Backspace")
    if text:
        page.keyboard.type(text)


def test_the_owner_names_the_device_sets_its_e911_address_then_releases_it(
    alice: Subscriber, phone_page: Page
) -> None:
    page = phone_page
    serial = alice.devices[0].serial
    sign_in(page, alice.email, alice.password)
    tab_to(page, page.get_by_role("link", name="(212) 555-0147", exact=True), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="(212) 555-0147", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="Plugline USB")).to_be_visible()
    expect(page.get_by_text(serial)).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, "device page")

    # Nickname.
    type_into(page, "Nickname", "Kitchen")
    page.keyboard.press("Enter")
    expect(page.get_by_text("The nickname is saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Kitchen", level=1)).to_be_visible()

    # E911 address: a bad ZIP code is explained by the field, everything typed kept.
    country = page.get_by_label("Country", exact=True)
    tab_to(page, country, limit=80)
    page.keyboard.type("United States")
    expect(country).to_have_value("US")
    type_into(page, "Street address", "350 Fifth Avenue")
    type_into(page, "City", "New York")
    type_into(page, "State or province", "NY")
    type_into(page, "ZIP or postal code", "1011")
    tab_to(page, page.get_by_role("button", name="Save the E911 address"), limit=10)
    page.keyboard.press("Enter")
    postal_code = page.get_by_label("ZIP or postal code", exact=True)
    expect(postal_code).to_have_accessible_description(BAD_POSTAL_CODE)
    expect(postal_code).to_have_value("1011")
    expect(page.get_by_label("Street address", exact=True)).to_have_value("350 Fifth Avenue")
    assert fits(page)
    assert_no_axe_violations(page, "E911 address refused")

    type_into(page, "ZIP or postal code", "10118")
    page.keyboard.press("Enter")
    expect(page.get_by_text("The E911 address is saved.")).to_be_visible()
    assert Device.objects.get(serial=serial).e911_postal_code == "10118"

    # Release, giving the number up.
    tab_to(page, page.get_by_role("link", name="Release this device"), limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Release this device", level=1)).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, "release page")
    give_up = page.get_by_role("radio", name="Give up the number")
    tab_to(page, page.get_by_role("radio", name="Keep the number with the device"), limit=60)
    page.keyboard.press("ArrowDown")
    expect(give_up).to_be_checked()
    type_into(page, "Your password", alice.password)
    tab_to(page, page.get_by_role("button", name="Release this device"), limit=10)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    expect(page.get_by_text(f"The device {serial} has left your account.")).to_be_visible()
    expect(page.get_by_text("There is no device on your account yet.")).to_be_visible()
    released = Device.objects.get(serial=serial)
    assert (released.owner_id, released.phone_number, released.e911_postal_code) == (None, None, "")


def test_it_takes_focus_and_the_view_to_the_summary_after_a_refused_e911_address(
    alice: Subscriber, phone_page: Page
) -> None:
    page = phone_page
    sign_in(page, alice.email, alice.password)
    page.goto(f"/devices/{alice.devices[0].serial}/")
    expect(page.get_by_role("heading", name="(212) 555-0147", level=1)).to_be_visible()
    page.get_by_label("Country", exact=True).select_option("US")
    page.get_by_label("Street address", exact=True).fill("350 Fifth Avenue")
    page.get_by_label("City", exact=True).fill("New York")
    page.get_by_label("State or province", exact=True).fill("NY")
    page.get_by_label("ZIP or postal code", exact=True).fill("1011")
    page.get_by_role("button", name="Save the E911 address").click()

    summary = page.get_by_role("alert").filter(has_text="Some details need a change")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary.get_by_role("link")).to_have_text(f"ZIP or postal code: {BAD_POSTAL_CODE}")
