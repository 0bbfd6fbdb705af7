"""A device's call history in a real browser, on a phone (360 px), with the keyboard alone,
in English, French and Danish, without an axe-core violation: paged, missed and blocked calls
marked, "Block this number" on an incoming call."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import make_subscriber
from e2e.helpers import fits, sign_in, tab_to
from e2e.test_device_page import assert_no_axe_violations
from plugline.telephony.callrecords import HISTORY_PAGE_SIZE
from plugline.telephony.models import BlockedCaller, CallOutcome
from plugline.telephony.tests.call_factory import call

WORDS = {
    "en": ("Call history", "Missed call", "Older calls", "Newer calls", "Page 2 of 2"),
    "fr": (
        "Historique des appels",
        "Appel manqué",
        "Appels plus anciens",
        "Appels plus récents",
        "Page 2 sur 2",
    ),
    "da": ("Opkaldshistorik", "Ubesvaret opkald", "Ældre opkald", "Nyere opkald", "Side 2 af 2"),
}


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_a_subscriber_reads_the_call_history_of_a_device_page_by_page(
    db: None, phone_page: Page, language: str
) -> None:
    heading, missed, older, newer, second_page = WORDS[language]
    subscriber = make_subscriber("claire@example.com", language=language)
    device = subscriber.devices[0]
    call(0, callee_device=device, caller="+14165550148", outcome=CallOutcome.NO_ANSWER)
    for number in range(1, HISTORY_PAGE_SIZE + 3):
        call(number, caller_device=device, callee=f"+1312555{number:04d}")
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{device.serial}/")

    history = page.get_by_role("region", name=heading)
    expect(history).to_be_visible()
    expect(history.get_by_text(missed)).to_have_count(1)
    expect(history.locator(".number", has_text="(416) 555-0148")).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, f"call history ({language})")

    tab_to(page, page.get_by_role("link", name=older), limit=80)
    page.keyboard.press("Enter")

    expect(page.get_by_text(second_page)).to_be_visible()
    expect(history.get_by_text(f"(312) 555-{HISTORY_PAGE_SIZE + 2:04d}")).to_be_visible()
    expect(history.get_by_text(missed)).to_have_count(0)
    expect(page.get_by_role("link", name=newer)).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, f"call history, page 2 ({language})")


BLOCKING_WORDS = {
    "en": (
        "Call history",
        "Blocked call",
        "Block this number",
        "(416) 555-0148 is blocked: its calls to this device are declined.",
        "Blocked",
    ),
    "fr": (
        "Historique des appels",
        "Appel bloqué",
        "Bloquer ce numéro",
        "(416) 555-0148 est bloqué\u00a0: ses appels vers cet appareil sont refusés.",
        "Bloqué",
    ),
    "da": (
        "Opkaldshistorik",
        "Blokeret opkald",
        "Bloker dette nummer",
        "(416) 555-0148 er blokeret: dets opkald til denne enhed afvises.",
        "Blokeret",
    ),
}


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_a_subscriber_sees_a_blocked_call_and_blocks_a_caller_from_the_history_by_keyboard(
    db: None, phone_page: Page, language: str
) -> None:
    heading, blocked_call, block, done, blocked = BLOCKING_WORDS[language]
    subscriber = make_subscriber("claire@example.com", language=language)
    device = subscriber.devices[0]
    call(0, callee_device=device, caller="+14165550148", outcome=CallOutcome.NO_ANSWER)
    call(1, callee_device=device, caller="+13105550123", outcome=CallOutcome.BLOCKED)
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{device.serial}/")

    history = page.get_by_role("region", name=heading)
    expect(history.get_by_text(blocked_call, exact=True)).to_have_count(1)
    button = history.get_by_role("button", name=f"{block} (416) 555-0148")
    expect(button).to_be_visible()
    assert fits(page)
    assert_no_axe_violations(page, f"call history with a blocked call ({language})")

    tab_to(page, button, limit=80)
    page.keyboard.press("Enter")

    expect(page.get_by_role("status").get_by_text(done)).to_be_visible()
    expect(history.get_by_role("button", name=re.compile(re.escape(block)))).to_have_count(1)
    expect(history.get_by_text(blocked, exact=True)).to_have_count(1)
    assert list(BlockedCaller.objects.filter(device=device).values_list("e164", flat=True)) == [
        "+14165550148"
    ]
    assert fits(page)
    assert_no_axe_violations(page, f"call history, caller blocked ({language})")
