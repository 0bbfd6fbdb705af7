"""A refused form puts the keyboard's focus, and the view, on what went wrong: the
sign-in form, the profile, Renew, a Re-Up card's PIN and the payment provider's card
page, on a phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import Subscriber
from e2e.helpers import sign_in
from plugline.billing.models import Plan, PlanPrice, Subscription


def _sign_in_refused(page: Page, alice: Subscriber) -> None:
    sign_in(page, alice.email, "not the password")


def _profile_refused(page: Page, alice: Subscriber) -> None:
    sign_in(page, alice.email, alice.password)
    page.goto("/account/")
    page.get_by_role("link", name="Edit your profile").click()
    page.get_by_label("Country", exact=True).select_option("CA")
    page.get_by_label("Street address", exact=True).fill("1000 rue Sherbrooke Ouest")
    page.get_by_label("City", exact=True).fill("Montréal")
    page.get_by_label("State or province", exact=True).fill("Quebec")
    page.get_by_label("ZIP or postal code", exact=True).fill("H3A 3G")
    page.get_by_role("button", name="Save my profile").click()


def _renew_without_a_choice(page: Page, alice: Subscriber) -> None:
    plan = Plan.objects.create(code="year", name="1 year", months=12)
    PlanPrice.objects.create(plan=plan, currency="USD", amount=4999)
    Subscription.objects.create(
        device=alice.devices[0], ends_at=timezone.now() + timedelta(days=30)
    )
    sign_in(page, alice.email, alice.password)
    page.goto("/renew/")
    page.get_by_role("button", name="Add to cart").click()


def _wrong_reup_pin(page: Page, alice: Subscriber) -> None:
    sign_in(page, alice.email, alice.password)
    page.goto("/account/reup/")
    page.get_by_label("PIN", exact=True).fill("1234 5678 9012 3456")
    page.get_by_role("button", name="Redeem the card").click()


REFUSALS: dict[str, Callable[[Page, Subscriber], None]] = {
    "sign-in": _sign_in_refused,
    "profile": _profile_refused,
    "renew": _renew_without_a_choice,
    "re-up": _wrong_reup_pin,
}


@pytest.mark.parametrize("name", REFUSALS)
def test_a_refused_form_takes_the_focus_to_its_error_summary(
    alice: Subscriber, phone_page: Page, name: str
) -> None:
    REFUSALS[name](phone_page, alice)

    summary = phone_page.locator(".form-errors")
    expect(summary).to_have_count(1)
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
