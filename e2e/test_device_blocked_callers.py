# ruff: noqa: RUF001 -- French text uses the typographic apostrophe
"""A device's blocked callers in a real browser: in French, 360 px wide, the keyboard alone,
no axe-core violation."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import fits, sign_in, tab_to
from e2e.test_device_page import assert_no_axe_violations, type_into
from plugline.telephony.models import BlockedCaller, CallScreening

BAD_NUMBER = (
    "Saisissez un numéro de téléphone, par exemple (212) 555-0147, ou le début des numéros à "
    "bloquer, par exemple 1-900."
)
FIELD = "Numéro ou préfixe à bloquer"
SWITCH = "Refuser les appelants qui masquent leur numéro"


def test_the_owner_blocks_a_prefix_refuses_anonymous_callers_and_unblocks_in_french(
    alice: Subscriber, phone_page: Page
) -> None:
    page = phone_page
    alice.user.language = "fr"
    alice.user.save(update_fields=["language"])
    device = alice.devices[0]
    sign_in(page, alice.email, alice.password)
    tab_to(page, page.get_by_role("link", name="(212) 555-0147", exact=True), limit=60)
    page.keyboard.press("Enter")
    section = page.get_by_role("region", name="Appelants bloqués")
    expect(section).to_be_visible()
    expect(section.get_by_text("Aucun numéro bloqué pour l’instant.")).to_be_visible()

    # Something that is neither a number nor a prefix: explained, and kept in the field.
    type_into(page, FIELD, "appelez-moi")
    page.keyboard.press("Enter")
    field = page.get_by_label(FIELD, exact=True)
    # The error first, then the help.
    expect(field).to_have_accessible_description(re.compile("^" + re.escape(BAD_NUMBER)))
    expect(field).to_have_value("appelez-moi")
    assert not BlockedCaller.objects.filter(device=device).exists()
    assert fits(page)
    assert_no_axe_violations(page, "blocked callers, refused entry")

    type_into(page, FIELD, "1-900")
    page.keyboard.press("Enter")
    expect(page.get_by_text("+1900… est bloqué")).to_be_visible()
    expect(section.get_by_text("Tous les numéros commençant par +1900")).to_be_visible()
    assert list(BlockedCaller.objects.filter(device=device).values_list("e164", "is_prefix")) == [
        ("+1900", True)
    ]

    # The switch, then its own Save button.
    switch = page.get_by_role("switch", name=SWITCH)
    tab_to(page, switch, limit=80)
    page.keyboard.press("Space")
    expect(switch).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Les appelants qui masquent leur numéro sont désormais refusés.")
    ).to_be_visible()
    expect(page.get_by_role("switch", name=SWITCH)).to_be_checked()
    assert CallScreening.objects.get(device=device).refuse_anonymous
    assert fits(page)
    assert_no_axe_violations(page, "blocked callers, a prefix and the switch")

    tab_to(page, page.get_by_role("button", name="Débloquer +1900…"), limit=80)
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Débloqué\u00a0: ces appels font de nouveau sonner l’appareil.")
    ).to_be_visible()
    assert not BlockedCaller.objects.filter(device=device).exists()
