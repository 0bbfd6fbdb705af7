"""'Call from this computer' in a real browser, in English, French and Danish, on a phone
(360 px) and a desktop: no axe-core violation, nothing sticking out sideways, the keyboard
alone (Tab to the number, type it, Tab to Call; every key of the dial pad reached; the focus
visible), the microphone refused said in an alert, and without a SIP server a page that says
plainly that calling from the browser is not available.

Chromium runs with a fake microphone but WITHOUT --use-fake-ui-for-media-stream and the
context grants no permission: the browser refuses the microphone, as it does for a person who
clicked "Block"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import Subscriber, make_subscriber
from e2e.conftest import ACTION_TIMEOUT_MS, LAUNCH_ARGS, chromium_executable
from e2e.helpers import fits, sign_in, tab_to
from e2e.test_device_page import assert_no_axe_violations
from plugline.core.ports import free_port
from plugline.devices.models import Device
from plugline.telephony.services import sip_accounts_provision_all
from plugline.telephony.tests.sip_factory import make_line

WORDS = {
    "en": {
        "offline": "The phone service cannot be reached from this page.",
        "title": "Call from this computer",
        "number": "Number to call",
        "call": "Call",
        "pad": "Dial pad",
        "refused": "The browser may not use the microphone",
        "unavailable": "Calling from the browser is not available here.",
    },
    "fr": {
        "offline": "Le service téléphonique est injoignable depuis cette page.",
        "title": "Appeler depuis cet ordinateur",
        "number": "Numéro à appeler",
        "call": "Appeler",
        "pad": "Clavier",
        "refused": "Le navigateur n'a pas le droit d'utiliser le microphone",
        "unavailable": "Les appels depuis le navigateur ne sont pas disponibles ici.",
    },
    "da": {
        "offline": "Telefontjenesten kan ikke nås fra denne side.",
        "title": "Ring fra denne computer",
        "number": "Nummer, der skal ringes til",
        "call": "Ring op",
        "pad": "Tastatur",
        "refused": "Browseren må ikke bruge mikrofonen",
        "unavailable": "Opkald fra browseren er ikke tilgængelige her.",
    },
}
WIDTHS = {"phone": (360, 780), "desktop": (1280, 800)}


@pytest.fixture(scope="module")
def browser_with_a_microphone(browser: Browser) -> Iterator[Browser]:
    """Chromium with a fake microphone, and no flag that would answer its permission prompt."""
    chromium = browser.browser_type.launch(
        executable_path=chromium_executable(),
        headless=True,
        args=[*LAUNCH_ARGS, "--use-fake-device-for-media-stream"],
    )
    yield chromium
    chromium.close()


def open_in(browser: Browser, live_server: LiveServer, width: int, height: int) -> Page:
    phone = width < 600
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": height},
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=2 if phone else 1,
        permissions=[],  # nothing granted: the microphone is refused
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    return context.new_page()


def the_subscriber(language: str) -> tuple[Subscriber, Device]:
    subscriber = make_subscriber("claire@example.com", numbers=(), language=language)
    line = make_line(subscriber.user)
    sip_accounts_provision_all()
    return subscriber, line.boxed.device


def focus_is_visible(target: Locator) -> bool:
    """The control has the focus, and draws the focus ring the keyboard's focus gets."""
    return bool(
        target.evaluate(
            """element => {
                const style = getComputedStyle(element);
                return element === document.activeElement
                    && element.matches(":focus-visible")
                    && style.outlineStyle !== "none"
                    && parseFloat(style.outlineWidth) >= 2;
            }"""
        )
    )


@pytest.mark.parametrize("width", ["phone", "desktop"])
@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_it_calls_by_keyboard_and_says_the_microphone_is_refused(
    db: None,
    browser_with_a_microphone: Browser,
    live_server: LiveServer,
    settings,
    language: str,
    width: str,
) -> None:
    # A SIP server is configured, but none answers on its WebSocket: the page still works
    # by keyboard, and the microphone is asked for before anything is sent.
    settings.SIP_WS_URL = f"ws://127.0.0.1:{free_port()}/"
    settings.SIP_EPHEMERAL_SECRET = "the-secret-kamailio-shares"
    words = WORDS[language]
    subscriber, device = the_subscriber(language)
    page = open_in(browser_with_a_microphone, live_server, *WIDTHS[width])
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{device.serial}/")
    tab_to(page, page.get_by_role("link", name=words["title"]), limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=words["title"], level=1)).to_be_visible()
    # The page says in its alert that Kamailio cannot be reached.
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(words["offline"])
    assert fits(page)
    assert_no_axe_violations(page, f"softphone ({language}, {width})")

    number = page.get_by_label(words["number"], exact=True)
    tab_to(page, number, limit=40)
    assert focus_is_visible(number)
    page.keyboard.type("(416) 555-0148")
    call = page.get_by_role("button", name=words["call"], exact=True)
    tab_to(page, call, limit=20)
    assert focus_is_visible(call)

    # Every key of the dial pad is reached by Tab, named for screen readers, and types.
    keys = page.get_by_role("group", name=words["pad"]).get_by_role("button")
    expect(keys).to_have_count(12)
    number.fill("")
    for digit in "123456789*0#":
        key = keys.filter(has_text=digit)
        tab_to(page, key, limit=20)
        assert focus_is_visible(key)
        page.keyboard.press("Enter")
    expect(number).to_have_value("123456789*0#")

    number.fill("(416) 555-0148")
    tab_to(page, call, limit=20)
    page.keyboard.press("Enter")
    expect(alert).to_contain_text(words["refused"])
    page.wait_for_timeout(1000)  # nothing else takes the alert's place
    expect(alert).to_contain_text(words["refused"])
    assert fits(page)
    assert_no_axe_violations(page, f"softphone, microphone refused ({language}, {width})")


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_it_says_calling_from_the_browser_is_not_available_without_a_sip_server(
    db: None, phone_page: Page, settings, language: str
) -> None:
    settings.SIP_WS_URL = ""
    words = WORDS[language]
    subscriber, device = the_subscriber(language)
    page = phone_page
    sign_in(page, subscriber.email, subscriber.password)
    page.goto(f"/devices/{device.serial}/softphone/")

    expect(page.get_by_role("heading", name=words["title"], level=1)).to_be_visible()
    expect(page.get_by_text(words["unavailable"])).to_be_visible()
    expect(page.get_by_role("button", name=words["call"], exact=True)).to_have_count(0)
    assert fits(page)
    assert_no_axe_violations(page, f"softphone unavailable ({language})")
