"""The language switcher in the top bar: French and Danish sign-in pages, remembered."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import HOME_URL, PHONE_NUMBER
from plugline.accounts.models import User

ENGLISH = ["Email or phone number", "Password", "Log in", "Forgot password?"]
SIGN_IN_PAGE = {
    "Français": {
        "lang": "fr",
        "identifier": "Adresse e-mail ou numéro de téléphone",
        "password": "Mot de passe",
        "log_in": "Se connecter",
        "forgot": "Mot de passe oublié\u202f?",
    },
    "Dansk": {
        "lang": "da",
        "identifier": "E-mail eller telefonnummer",
        "password": "Adgangskode",
        "log_in": "Log på",
        "forgot": "Glemt adgangskode?",
    },
}


def choose_language(page: Page, name: str) -> None:
    """Pick a language in the top bar's "Language" box (whatever it is called now)."""
    page.locator("#language-select").select_option(label=name)
    page.locator("form.language").get_by_role("button").click()


@pytest.mark.parametrize("language", SIGN_IN_PAGE)
def test_it_shows_the_sign_in_page_in_the_chosen_language(page: Page, language: str) -> None:
    words = SIGN_IN_PAGE[language]
    page.goto("/accounts/login/")
    expect(page.get_by_label("Language")).to_be_visible()
    choose_language(page, language)

    expect(page.locator("html")).to_have_attribute("lang", words["lang"])
    expect(page.get_by_label(words["identifier"], exact=True)).to_be_visible()
    expect(page.get_by_label(words["password"], exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=words["log_in"], exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=words["forgot"], exact=True)).to_be_visible()
    main = page.locator("main").inner_text()
    assert not [english for english in ENGLISH if english in main]

    # Remembered on the next visit.
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name=words["log_in"], exact=True)).to_be_visible()


def test_it_keeps_the_language_chosen_before_signing_in_on_the_account(
    alice: Subscriber, page: Page
) -> None:
    page.goto("/accounts/login/")
    choose_language(page, "Dansk")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    page.locator("#id_login").fill(alice.email)
    page.locator("#id_password").fill(alice.password)
    page.locator("form.card button[type=submit]").click()

    expect(page).to_have_url(HOME_URL)
    expect(page.locator(".devices .number")).to_have_text([PHONE_NUMBER])
    expect(page.locator("html")).to_have_attribute("lang", "da")
    assert User.objects.get(pk=alice.user.pk).language == "da"


def test_it_stores_a_signed_in_subscribers_choice_on_the_account(
    alice: Subscriber, page: Page
) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email or phone number").fill(alice.email)
    page.get_by_label("Password", exact=True).fill(alice.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(HOME_URL)

    choose_language(page, "Dansk")

    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.locator("#language-select")).to_have_value("da")
    assert User.objects.get(pk=alice.user.pk).language == "da"
