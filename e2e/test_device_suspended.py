"""A suspended device's page in a real browser: the notice says what it means and whom to
ask, on a phone (360 px), in English, French and Danish, without an axe-core violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import make_subscriber
from e2e.helpers import fits, sign_in
from e2e.test_device_page import assert_no_axe_violations
from plugline.accounts.models import User
from plugline.devices.services import device_suspend

NOTICES = {
    "en": ("This line is suspended", "can neither make nor receive calls"),
    "fr": ("Cette ligne est suspendue", "ne peut ni passer ni recevoir d’appels"),  # noqa: RUF001
    "da": ("Denne linje er suspenderet", "kan hverken ringe ud eller modtage opkald"),
}


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_the_owner_of_a_suspended_device_reads_why_its_line_is_off(
    staff: User, phone_page: Page, language: str
) -> None:
    heading, meaning = NOTICES[language]
    subscriber = make_subscriber("claire@example.com", language=language)
    device = subscriber.devices[0]
    device_suspend(device=device, reason="Chargeback 5521", actor=staff)
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{device.serial}/")

    notice = page.get_by_role("region", name=heading)
    expect(notice).to_be_visible()
    expect(notice.get_by_text(meaning)).to_be_visible()
    expect(page.get_by_text("Chargeback")).to_have_count(0)
    assert fits(page)
    assert_no_axe_violations(page, f"suspended device ({language})")
