"""axe-core finds no WCAG 2.1 A/AA or 2.2 target-size violation on the sign-in pages, the
help centre, the contact form and the customer's requests; those also fit a phone and show a
focus ring of at least 3:1 on every control Tab reaches, in English, French and Danish."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import OpenPage, expect_my_account, fits, sign_in
from e2e.test_staff_accessibility import focus_ring_failures
from plugline.helpcentre.seeding import help_articles_seed
from plugline.rates.tests.factories import make_rate
from plugline.support.tests.factories import open_ticket

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}


def _sign_in_page(page: Page, alice: Subscriber) -> None:
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def _sign_in_refused(page: Page, alice: Subscriber) -> None:
    sign_in(page, alice.email, "not the password")
    expect(page.get_by_role("alert")).to_be_visible()


def _forgot_password(page: Page, alice: Subscriber) -> None:
    page.goto("/accounts/password/reset/")
    expect(page.get_by_role("button", name="Send me a reset link")).to_be_visible()


def _reset_link_sent(page: Page, alice: Subscriber) -> None:
    page.goto("/accounts/password/reset/")
    page.get_by_label("Email or phone number").fill(alice.email)
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def _choose_new_password(page: Page, alice: Subscriber) -> None:
    key = default_token_generator.make_token(alice.user)
    page.goto(f"/accounts/password/reset/key/{user_pk_to_url_str(alice.user)}-{key}/")
    expect(page.get_by_role("button", name="Set my new password")).to_be_visible()


def _link_no_longer_works(page: Page, alice: Subscriber) -> None:
    page.goto(f"/accounts/password/reset/key/{user_pk_to_url_str(alice.user)}-not-a-key/")
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()


def _password_changed(page: Page, alice: Subscriber) -> None:
    page.goto("/accounts/password/reset/key/done/")
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()


def _calling_rates(page: Page, alice: Subscriber) -> None:
    make_rate("4420", destination="United Kingdom - London", connection_fee=5, increments=(30, 6))
    page.goto("/rates/?q=%2B44+20+7946+0018")
    expect(page.get_by_role("heading", name="Calls to +44 20 7946 0018")).to_be_visible()


def _my_account(page: Page, alice: Subscriber) -> None:
    sign_in(page, alice.email, alice.password)
    expect_my_account(page)


def _help_centre(page: Page, alice: Subscriber) -> None:
    help_articles_seed()
    page.goto("/help/")
    expect(page.get_by_role("heading", name="Help centre", level=1)).to_be_visible()


def _help_article(page: Page, alice: Subscriber) -> None:
    help_articles_seed()
    page.goto("/help/troubleshooting/device-does-not-start/")
    expect(page.get_by_role("button", name="No", exact=True)).to_be_visible()


def _help_search(page: Page, alice: Subscriber) -> None:
    help_articles_seed()
    page.goto("/help/search/?q=usb")
    expect(page.get_by_role("heading", name="Search the help centre")).to_be_visible()


def _contact(page: Page, alice: Subscriber) -> None:
    page.goto("/contact/")
    expect(page.get_by_role("button", name="Send my request")).to_be_visible()


def _my_requests(page: Page, alice: Subscriber) -> None:
    open_ticket(alice.user, subject="No dial tone")
    sign_in(page, alice.email, alice.password)
    page.goto("/account/requests/")
    expect(page.get_by_role("link", name="No dial tone")).to_be_visible()


def _my_request(page: Page, alice: Subscriber) -> None:
    ticket = open_ticket(alice.user, subject="No dial tone")
    sign_in(page, alice.email, alice.password)
    page.goto(f"/account/requests/{ticket.reference}/")
    expect(page.get_by_role("button", name="Send my answer")).to_be_visible()


PAGES: dict[str, Callable[[Page, Subscriber], None]] = {
    "sign-in": _sign_in_page,
    "sign-in-refused": _sign_in_refused,
    "forgot-password": _forgot_password,
    "reset-link-sent": _reset_link_sent,
    "choose-new-password": _choose_new_password,
    "link-no-longer-works": _link_no_longer_works,
    "password-changed": _password_changed,
    "my-account": _my_account,
    "calling-rates": _calling_rates,
    "help-centre": _help_centre,
    "help-article": _help_article,
    "help-search": _help_search,
    "contact": _contact,
    "my-requests": _my_requests,
    "my-request": _my_request,
}


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]} {v['helpUrl']}"
        for v in violations
    )


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("name", PAGES)
def test_it_has_no_accessibility_violations(
    alice: Subscriber, open_page: OpenPage, name: str, width: int
) -> None:
    page = open_page(width=width)
    PAGES[name](page, alice)

    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]

    assert not violations, f"{name} at {width} px:\n{describe(violations)}"


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_the_help_and_support_pages_ring_every_control_and_fit_a_phone(
    alice: Subscriber, open_page: OpenPage, language: str
) -> None:
    help_articles_seed()
    ticket = open_ticket(alice.user, subject="No dial tone")
    alice.user.language = language
    alice.user.save(update_fields=["language"])
    page = open_page(width=360, height=780)
    sign_in(page, alice.email, alice.password)
    found: list[str] = []
    for url in (
        "/help/",
        "/help/troubleshooting/",
        "/help/troubleshooting/device-does-not-start/",
        "/help/search/?q=usb",
        "/contact/",
        "/account/requests/",
        f"/account/requests/{ticket.reference}/",
    ):
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", language)
        where = f"{url} ({language}, 360 px)"
        if not fits(page):
            found.append(f"{where}: scrolls sideways")
        found += focus_ring_failures(page, where)
    assert not found, "\n".join(found)
