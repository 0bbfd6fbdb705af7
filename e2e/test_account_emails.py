"""Emails in a real browser: a secondary email confirmed from the outbox, made preferred,
the original email kept (in English, French and Danish); 360 px and the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect
from pytest_django.fixtures import Settings

from conftest import Subscriber
from e2e.helpers import fits, open_menu, sign_in, tab_to

NEW_EMAIL = "alice.new@example.org"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


@pytest.fixture
def mailbox(settings: Settings) -> None:
    """The developers' mailbox answers only while DEBUG is on."""
    settings.DEBUG = True


def violations(page: Page, name: str) -> list[str]:
    found: list[dict[str, Any]] = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [
        f"{name}: {v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}" for v in found
    ]


def card(page: Page, address: str) -> Locator:
    """One email's card on the Emails page."""
    return page.locator("li.email").filter(
        has=page.get_by_role("heading", name=address, exact=True)
    )


def open_emails_page(page: Page) -> None:
    page.goto("/account/")
    page.get_by_role("link", name="Manage your emails").click()
    expect(page.get_by_role("heading", name="Emails", level=1)).to_be_visible()


def confirm_password(page: Page, password: str) -> None:
    """ "Confirm it is you": asked before the first email change after signing in."""
    expect(page.get_by_role("heading", name="Confirm it is you", level=1)).to_be_visible()
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Confirm").click()


def latest_mail(page: Page, to: str, subject: str) -> None:
    """Open the newest email to `to` with `subject` in the developers' mailbox."""
    page.goto("/dev/mail/")
    entry = page.locator(".mailbox li").filter(has_text=to).filter(has_text=subject).first
    expect(entry).to_be_visible()
    entry.get_by_role("link").click()
    expect(page.get_by_role("heading", name=subject, level=1)).to_be_visible()


def choose_language(page: Page, name: str) -> None:
    open_menu(page)
    page.locator("#language-select").select_option(label=name)
    page.locator("form.language").get_by_role("button").click()


def try_to_remove(page: Page, address: str) -> None:
    """Send "Remove" for an email whose button is greyed out: the server refuses too."""
    remove = card(page, address).locator('button[name="action_remove"]')
    expect(remove).to_be_disabled()
    remove.evaluate("button => { button.disabled = false; button.click(); }")


def test_a_new_preferred_email_gets_the_next_email_and_the_original_stays(
    alice: Subscriber, page: Page, mailbox: None
) -> None:
    sign_in(page, alice.email, alice.password)
    open_emails_page(page)
    expect(card(page, alice.email)).to_contain_text("Preferred")
    expect(card(page, alice.email)).to_contain_text("Original")

    # Add a secondary email: the password first, then a link goes to it.
    page.get_by_label("Email to add").fill(NEW_EMAIL)
    page.get_by_role("button", name="Add email").click()
    confirm_password(page, alice.password)
    expect(page.get_by_role("status")).to_contain_text(f"We sent a link to {NEW_EMAIL}.")
    expect(card(page, NEW_EMAIL)).to_contain_text("Not confirmed yet")
    expect(card(page, NEW_EMAIL).get_by_role("button", name="Make preferred")).to_have_count(0)

    # Its link, from the outbox, confirms it.
    latest_mail(page, NEW_EMAIL, "Confirm your email for Plugline")
    page.locator(".mail-body").get_by_role("link", name="/accounts/confirm-email/").click()
    expect(page.get_by_role("heading", name="Confirm your email", level=1)).to_be_visible()
    page.get_by_role("button", name="Confirm this email").click()
    expect(page.get_by_role("heading", name="Emails", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"{NEW_EMAIL} is confirmed.")

    # Made preferred: the original email is told, and stays.
    card(page, NEW_EMAIL).get_by_role("button", name="Make preferred").click()
    expect(page.get_by_role("status")).to_have_text(
        f"{NEW_EMAIL} is now your preferred email: every message goes there from now on."
    )
    expect(card(page, NEW_EMAIL)).to_contain_text("Preferred")
    latest_mail(page, alice.email, "Your preferred email for Plugline has changed")
    expect(page.locator(".mail-body")).to_contain_text(
        f"make {alice.email} your preferred email again"
    )

    # The next email, a password reset asked for with the original email, goes to the new one.
    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/password/reset/")
    page.get_by_label("Email or phone number").fill(alice.email)
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.get_by_role("heading", name="Check your email", level=1)).to_be_visible()
    page.goto("/dev/mail/")
    newest = page.locator(".mailbox li").first
    expect(newest).to_contain_text("Reset your Plugline password")
    expect(newest).to_contain_text(NEW_EMAIL)

    # Signing in with the new email works; the original email cannot be removed.
    sign_in(page, NEW_EMAIL, alice.password)
    expect(page.get_by_role("link", name="Account", exact=True)).to_be_visible()
    open_emails_page(page)
    expect(card(page, alice.email)).to_contain_text(
        "This is the email you registered with: it stays on your account for good and cannot "
        "be removed."
    )
    try_to_remove(page, alice.email)
    confirm_password(page, alice.password)  # a fresh sign-in: asked again
    expect(page.get_by_role("status")).to_have_text(
        f"{alice.email} cannot be removed: it is the email you registered with, and it stays "
        f"on your account for good. It already receives no mail: every message goes to your "
        f"preferred email, {NEW_EMAIL}."
    )
    expect(card(page, alice.email)).to_be_visible()

    # Back to the original as preferred; the secondary email is removed.
    card(page, alice.email).get_by_role("button", name="Make preferred").click()
    expect(card(page, alice.email)).to_contain_text("Preferred")
    card(page, NEW_EMAIL).get_by_role("button", name="Remove").click()
    expect(page.get_by_role("status")).to_have_text(f"{NEW_EMAIL} is removed from your account.")
    expect(card(page, NEW_EMAIL)).to_have_count(0)
    expect(page.locator("li.email")).to_have_count(1)


@pytest.mark.parametrize(
    ("language", "refusal", "how_to_stop"),
    [
        ("English", "cannot be removed", "To stop receiving mail there"),
        ("Français", "ne peut pas être supprimée", "Pour ne plus recevoir de courriels"),
        ("Dansk", "kan ikke fjernes", "For ikke længere at modtage e-mails"),
    ],
)
def test_removing_the_original_email_is_refused_in_the_chosen_language(
    alice: Subscriber, page: Page, language: str, refusal: str, how_to_stop: str
) -> None:
    # French and Danish need their catalogs compiled.
    sign_in(page, alice.email, alice.password)
    page.goto("/accounts/email/")
    choose_language(page, language)
    expect(page.locator("#language-select option:checked")).to_have_text(language)

    try_to_remove(page, alice.email)
    page.get_by_label(
        {"English": "Password", "Français": "Mot de passe", "Dansk": "Adgangskode"}[language],
        exact=True,
    ).fill(alice.password)
    page.locator("main form button[type=submit]").click()

    message = page.get_by_role("status")
    expect(message).to_contain_text(alice.email)
    expect(message).to_contain_text(refusal)
    expect(message).to_contain_text(how_to_stop)
    expect(card(page, alice.email)).to_be_visible()


def test_the_emails_page_on_a_phone_with_the_keyboard_alone(
    alice: Subscriber, phone_page: Page, mailbox: None
) -> None:
    page = phone_page
    sign_in(page, alice.email, alice.password)
    page.goto("/account/")
    tab_to(page, page.get_by_role("link", name="Manage your emails"), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Emails", level=1)).to_be_visible()
    assert fits(page)
    found = violations(page, "emails")

    # The original email's Remove is greyed out and says why.
    remove_original = card(page, alice.email).locator('button[name="action_remove"]')
    expect(remove_original).to_be_disabled()
    expect(remove_original).to_have_accessible_description(
        "This is the email you registered with: it stays on your account for good and cannot "
        "be removed. To stop receiving mail here, add another email, confirm it and make it "
        "your preferred email."
    )

    # A very long address wraps in its card.
    long_email = "a.very.long.name.for.a.household.mailbox@subdomain.example-provider.org"
    field = page.get_by_label("Email to add")
    tab_to(page, field, limit=60)
    page.keyboard.type(long_email)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Confirm it is you", level=1)).to_be_visible()
    assert fits(page)
    tab_to(page, page.get_by_label("Password", exact=True), limit=60)
    page.keyboard.type(alice.password)
    page.keyboard.press("Enter")
    expect(card(page, long_email)).to_contain_text("Not confirmed yet")
    assert fits(page)
    found += violations(page, "emails, one not confirmed")

    # A mistyped address is refused by the field, which says why.
    tab_to(page, page.get_by_label("Email to add"), limit=60)
    page.keyboard.type("not an email")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Email to add")).to_have_accessible_description(
        "Enter a valid email address. We send a link to it. Once you open the link, you can "
        "sign in with this email or make it your preferred email."
    )
    assert fits(page)
    found += violations(page, "emails, refused")

    latest_mail(page, long_email, "Confirm your email for Plugline")
    assert fits(page)
    link = page.locator(".mail-body").get_by_role("link", name="/accounts/confirm-email/")
    tab_to(page, link, limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Confirm your email", level=1)).to_be_visible()
    assert fits(page)
    found += violations(page, "confirm")
    tab_to(page, page.get_by_role("button", name="Confirm this email"), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"{long_email} is confirmed.")

    make_preferred = card(page, long_email).get_by_role("button", name="Make preferred")
    tab_to(page, make_preferred, limit=60)
    page.keyboard.press("Enter")
    expect(card(page, long_email)).to_contain_text("Preferred")
    assert fits(page)
    found += violations(page, "emails, a new preferred one")

    make_original_preferred = card(page, alice.email).get_by_role("button", name="Make preferred")
    tab_to(page, make_original_preferred, limit=60)
    page.keyboard.press("Enter")
    remove = card(page, long_email).get_by_role("button", name="Remove")
    tab_to(page, remove, limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(f"{long_email} is removed from your account.")

    # A link that no longer works says so.
    page.goto("/accounts/confirm-email/not-a-key/")
    expect(page.get_by_role("heading", name="This link no longer works", level=1)).to_be_visible()
    assert fits(page)
    found += violations(page, "confirm, link no longer works")
    assert found == []
