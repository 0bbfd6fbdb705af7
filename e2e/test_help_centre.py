# ruff: noqa: RUF001 -- French text uses the typographic apostrophe
"""The help centre with the keyboard only, in English, French and Danish, on a phone and a
desktop: search (accents left out), read an article, answer "Was this helpful?", and no
axe-core violation on the way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from e2e.helpers import OpenPage, fits, tab_to
from e2e.test_accessibility import AXE_OPTIONS, describe
from plugline.devices.tests.presence_factory import port_with_nothing_listening
from plugline.helpcentre.seeding import help_articles_seed

JOURNEYS = {
    "en": {
        "query": "USB power",
        "search_label": "Search the help centre",
        "title": "The device does not start with the computer",
        "text": "Try another USB port.",
        "yes": "Yes",
        "thanks": "Thank you for telling us.",
    },
    "fr": {
        # Typed without its accents: "téléphone" in the article.
        "query": "telephone USB",
        "search_label": "Chercher dans le centre d’aide",
        "title": "L’appareil ne démarre pas avec l’ordinateur",
        "text": "Essayez un autre port USB.",
        "yes": "Oui",
        "thanks": "Merci de nous l’avoir dit.",
    },
    "da": {
        # Typed without its ring: "måske" in the article.
        "query": "USB maske",
        "search_label": "Søg i hjælpecentret",
        "title": "Enheden starter ikke sammen med computeren",
        "text": "Prøv en anden USB-port.",
        "yes": "Ja",
        "thanks": "Tak, fordi du fortalte os det.",
    },
}


def no_violations(page: Page, where: str) -> None:
    found: list[dict[str, Any]] = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not found, f"{where}:\n{describe(found)}"


def in_language(page: Page, language: str) -> None:
    page.goto("/help/")
    page.evaluate(f"() => {{ document.cookie = 'plugline_language={language}; path=/'; }}")
    page.goto("/help/")
    expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.fixture
def articles(transactional_db: None) -> None:
    help_articles_seed()


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", JOURNEYS)
def test_it_finds_and_reads_an_article_with_the_keyboard_only(
    articles: None, open_page: OpenPage, language: str, width: int
) -> None:
    words = JOURNEYS[language]
    page = open_page(width=width)
    in_language(page, language)
    no_violations(page, f"/help/ in {language} at {width} px")

    search_box = page.get_by_label(words["search_label"])
    tab_to(page, search_box)
    page.keyboard.type(words["query"])
    page.keyboard.press("Enter")
    # The results' page, not the start page (which may list the article too) still shown.
    expect(page).to_have_url(re.compile(r"/help/search/\?"))

    result = page.get_by_role("link", name=words["title"])
    expect(result).to_be_visible()
    expect(page.locator(".help-snippet mark").first).to_be_visible()
    assert fits(page)
    no_violations(page, f"search in {language} at {width} px")

    tab_to(page, result)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name=words["title"])).to_be_visible()
    expect(page.get_by_text(words["text"])).to_be_visible()
    assert fits(page)
    no_violations(page, f"article in {language} at {width} px")

    yes = page.get_by_role("button", name=words["yes"], exact=True)
    tab_to(page, yes, limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_text(words["thanks"])).to_be_visible()


def test_it_takes_a_reason_for_no_with_the_keyboard_only(
    articles: None, open_page: OpenPage
) -> None:
    page = open_page(width=360, height=780)
    page.goto("/help/troubleshooting/device-does-not-start/")
    no = page.get_by_role("button", name="No", exact=True)
    tab_to(page, no, limit=60)
    page.keyboard.press("Enter")

    first_reason = page.get_by_label("It is not about my problem")
    expect(first_reason).to_be_visible()
    no_violations(page, "the reason form at 360 px")
    # Send with no reason chosen: the error says so and leads to the choices.
    tab_to(page, page.get_by_role("button", name="Send"))
    page.keyboard.press("Enter")
    error = page.get_by_role("link", name="What was wrong with it?: Choose what was wrong")
    expect(error).to_be_visible()
    no_violations(page, "the refused reason form at 360 px")

    # Into the radio group with Tab, then down its choices with the arrow keys.
    tab_to(page, first_reason)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("I followed it but it did not work")).to_be_checked()
    tab_to(page, page.get_by_label("Anything to add? (optional)"))
    page.keyboard.type("My laptop has one port only.")
    tab_to(page, page.get_by_role("button", name="Send"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Thank you: we will use this to improve the article.")).to_be_visible()


def test_it_offers_the_usb_tip_when_the_device_is_not_found(
    articles: None, open_page: OpenPage, settings
) -> None:
    settings.DEVICE_AGENT_PORT = port_with_nothing_listening()
    page = open_page(width=360, height=780)
    page.goto("/activate/")
    tip = page.get_by_role("link", name="The device does not start with the computer")
    expect(tip).to_be_hidden()

    page.get_by_role("button", name="Detect device").click()

    expect(page.get_by_role("alert")).to_contain_text("We could not find your device.")
    expect(tip).to_be_visible()
    no_violations(page, "device not found, with help, at 360 px")
    tip.click()
    expect(
        page.get_by_role("heading", level=1, name="The device does not start with the computer")
    ).to_be_visible()
