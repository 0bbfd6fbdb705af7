"""A device's call settings in a real browser: in Danish, 360 px wide, the keyboard alone,
no axe-core violation: a number abroad refused in the subscriber's language with what they
typed kept, then forwarding when busy and do not disturb saved."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import fits, sign_in, tab_to
from e2e.test_device_page import assert_no_axe_violations, type_into
from plugline.telephony.models import CallSettings

ABROAD = "Opkald kan kun viderestilles til numre i USA og Canada."
FORWARD_TO = "Viderestil til"
BUSY = "Viderestil, når linjen er optaget"
DND = "Forstyr ikke"


def test_the_owner_sets_forwarding_and_do_not_disturb_by_keyboard_in_danish(
    alice: Subscriber, phone_page: Page
) -> None:
    page = phone_page
    alice.user.language = "da"
    alice.user.save(update_fields=["language"])
    device = alice.devices[0]
    sign_in(page, alice.email, alice.password)
    tab_to(page, page.get_by_role("link", name="(212) 555-0147", exact=True), limit=60)
    page.keyboard.press("Enter")
    tab_to(
        page,
        page.get_by_role("link", name="Ringetid, forstyr ikke og viderestilling"),
        limit=80,
    )
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Opkald", level=1)).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, "call settings")

    busy = page.get_by_role("switch", name=BUSY)
    tab_to(page, busy, limit=40)
    page.keyboard.press("Space")
    type_into(page, FORWARD_TO, "+44 20 7946 0958")
    page.keyboard.press("Enter")

    field = page.get_by_label(FORWARD_TO, exact=True)
    expect(page.get_by_role("alert")).to_contain_text(ABROAD)
    expect(field).to_have_accessible_description(re.compile("^" + re.escape(ABROAD)))
    expect(field).to_have_value("+44 20 7946 0958")
    expect(page.get_by_role("switch", name=BUSY)).to_be_checked()
    assert not CallSettings.objects.filter(device=device).exists()
    assert fits(page)
    assert_no_axe_violations(page, "call settings, a number abroad refused")

    type_into(page, FORWARD_TO, "(416) 555-0100")
    tab_to(page, page.get_by_role("switch", name=DND), limit=40)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Gem"), limit=40)
    page.keyboard.press("Enter")

    expect(
        page.get_by_text("Opkaldsindstillingerne er gemt: de gælder fra næste opkald.")
    ).to_be_visible()
    settings = CallSettings.objects.get(device=device)
    assert (settings.forward_busy, settings.do_not_disturb) == (True, True)
    assert settings.forward_to == "+14165550100"
    expect(page.get_by_role("switch", name=DND)).to_be_checked()
    assert fits(page)
