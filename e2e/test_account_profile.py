"""Profile, Change password and Security in a real browser: 360 px, the keyboard alone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import OpenPage, fits, sign_in, tab_to
from plugline.accounts.models import User

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
BAD_POSTAL_CODE_ERROR = "Enter a Canadian postal code of 6 letters and digits, such as H3Z 2Y7."


def violations(page: Page, name: str) -> list[str]:
    found: list[dict[str, Any]] = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [
        f"{name}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}" for v in found
    ]


def type_into(page: Page, label: str, text: str) -> None:
    """Tab to the field, clear it and type, as someone without a mouse would."""
    field = page.get_by_label(label, exact=True)
    tab_to(page, field, limit=60)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Backspace")
    if text:
        page.keyboard.type(text)


def test_a_bad_canadian_postal_code_is_explained_everything_typed_is_kept_then_saved(
    alice: Subscriber, phone_page: Page
) -> None:
    page = phone_page
    sign_in(page, alice.email, alice.password)
    page.goto("/account/")
    tab_to(page, page.get_by_role("link", name="Edit your profile"), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Profile", level=1)).to_be_visible()
    assert fits(page)

    country = page.get_by_label("Country", exact=True)
    tab_to(page, country, limit=60)
    page.keyboard.type("Canada")
    expect(country).to_have_value("CA")
    type_into(page, "Street address", "1000 rue Sherbrooke Ouest")
    type_into(page, "City", "Montréal")
    type_into(page, "State or province", "Quebec")
    type_into(page, "ZIP or postal code", "H3A 3G")
    time_zone = page.get_by_label("Time zone", exact=True)
    tab_to(page, time_zone)
    page.keyboard.type("Eastern Time: Toronto")
    expect(time_zone).to_have_value("America/Toronto")
    tab_to(page, page.get_by_role("button", name="Save my profile"))
    page.keyboard.press("Enter")

    # The error, said at the top and next to the field; nothing typed is lost.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Nothing is saved yet, and everything you typed is kept.")
    expect(summary.get_by_role("link")).to_have_text(
        [f"ZIP or postal code: {BAD_POSTAL_CODE_ERROR}"]
    )
    postal_code = page.get_by_label("ZIP or postal code", exact=True)
    expect(postal_code).to_have_accessible_description(BAD_POSTAL_CODE_ERROR)
    expect(postal_code).to_have_value("H3A 3G")
    expect(page.get_by_label("Street address", exact=True)).to_have_value(
        "1000 rue Sherbrooke Ouest"
    )
    expect(page.get_by_label("City", exact=True)).to_have_value("Montréal")
    expect(page.get_by_label("State or province", exact=True)).to_have_value("Quebec")
    expect(country).to_have_value("CA")
    expect(time_zone).to_have_value("America/Toronto")
    assert fits(page)
    assert User.objects.get(pk=alice.user.pk).postal_code == ""

    type_into(page, "ZIP or postal code", "h3a 3g4")
    page.keyboard.press("Enter")  # Enter in a text field submits the form

    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_label("ZIP or postal code", exact=True)).to_have_value("H3A 3G4")
    expect(page.get_by_label("State or province", exact=True)).to_have_value("QC")
    assert fits(page)
    user = User.objects.get(pk=alice.user.pk)
    assert (user.city, user.country_area, user.postal_code, user.time_zone) == (
        "Montréal",
        "QC",
        "H3A 3G4",
        "America/Toronto",
    )


def test_changing_the_password_to_password123_is_refused_with_the_reason(
    alice: Subscriber, phone_page: Page
) -> None:
    page = phone_page
    sign_in(page, alice.email, alice.password)
    page.goto("/account/")
    tab_to(page, page.get_by_role("link", name="Recent security activity"), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Security", level=1)).to_be_visible()
    assert fits(page)
    tab_to(page, page.get_by_role("link", name="Change password"), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Change password", level=1)).to_be_visible()
    assert fits(page)

    type_into(page, "Current password", alice.password)
    type_into(page, "New password", "password123")
    type_into(page, "New password again", "password123")
    page.keyboard.press("Enter")

    new_password = page.get_by_label("New password", exact=True)
    expect(page.get_by_text("This password is too common.")).to_be_visible()
    expect(new_password).to_have_accessible_description(
        re.compile(r"^This password is too common\. At least 8 characters and at most 128")
    )
    assert fits(page)

    passphrase = "violet kettles hum softly while six herons fish in the cold bay!"
    type_into(page, "Current password", alice.password)
    type_into(page, "New password", passphrase)
    type_into(page, "New password again", passphrase)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Security", level=1)).to_be_visible()
    expect(page.get_by_text("Password successfully changed.")).to_be_visible()
    expect(page.locator(".activity-what").first).to_have_text("Password changed")
    assert fits(page)
    assert User.objects.get(pk=alice.user.pk).check_password(passphrase)


@pytest.mark.parametrize("width", [1280, 360])
def test_the_profile_and_security_pages_have_no_accessibility_violations(
    alice: Subscriber, open_page: OpenPage, width: int
) -> None:
    page = open_page(width=width)
    sign_in(page, alice.email, alice.password)
    found: list[str] = []

    page.goto("/account/profile/")
    found += violations(page, "profile")
    page.get_by_label("Country", exact=True).select_option("US")
    page.get_by_label("ZIP or postal code", exact=True).fill("1234")
    page.get_by_role("button", name="Save my profile").click()
    expect(page.get_by_role("alert")).to_be_visible()
    found += violations(page, "profile, refused")
    page.goto("/account/security/")
    found += violations(page, "security")
    page.goto("/accounts/password/change/")
    found += violations(page, "change password")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_text("This password is too short.", exact=False)).to_be_visible()
    found += violations(page, "change password, refused")
    assert found == []
