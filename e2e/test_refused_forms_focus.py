"""A refused form puts the keyboard's focus, and the view, on what went wrong: the
sign-in form, the profile, Renew, a Re-Up card's PIN and the payment provider's card
page; the contact form, a ticket's answer (the customer's and the desk's), the staff
console's actions without a reason, a refund or goodwill days with bad input, a report's
impossible date range, a help article's "No" without a reason and a help search without a
word to look for; on a phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import PASSWORD, Subscriber
from e2e.helpers import sign_in, staff_sign_in
from plugline.backoffice.roles import BILLING
from plugline.backoffice.tests.conftest import customer_make, gateway_ready, staff_with_role
from plugline.billing.models import Plan, PlanPrice, Subscription
from plugline.helpcentre.seeding import help_articles_seed
from plugline.support.tests.factories import make_agent, open_ticket


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


def _contact_sent_empty(page: Page, alice: Subscriber) -> None:
    page.goto("/contact/")
    page.get_by_role("button", name="Send my request").click()


def _request_answer_empty(page: Page, alice: Subscriber) -> None:
    ticket = open_ticket(alice.user, subject="No dial tone")
    sign_in(page, alice.email, alice.password)
    page.goto(f"/account/requests/{ticket.reference}/")
    page.get_by_role("button", name="Send my answer").click()


def _desk_answer_empty(page: Page, alice: Subscriber) -> None:
    ticket = open_ticket(alice.user, subject="No dial tone")
    staff_sign_in(page, make_agent(), PASSWORD)
    page.goto(f"/staff/tickets/{ticket.reference}/")
    page.get_by_role("button", name="Send the answer").click()


def _billing_staff_on_alices_page(page: Page, alice: Subscriber) -> None:
    gateway_ready()
    customer_make(alice)  # a paid payment, a device with service
    billing = staff_with_role("billing@example.com", BILLING)
    staff_sign_in(page, billing, PASSWORD)
    page.goto(f"/staff/customers/{alice.user.pk}/")


def _suspend_without_a_reason(page: Page, alice: Subscriber) -> None:
    _billing_staff_on_alices_page(page, alice)
    page.get_by_role("button", name="Suspend the line").click()


def _refund_a_bad_amount(page: Page, alice: Subscriber) -> None:
    _billing_staff_on_alices_page(page, alice)
    page.get_by_label("Amount to refund (at most $49.99)").fill("ten dollars")
    page.locator("#payments").get_by_label("Reason (kept in the audit log)").first.fill(
        "Line down for a week"
    )
    page.get_by_role("button", name="Refund", exact=True).click()


def _goodwill_days_out_of_bounds(page: Page, alice: Subscriber) -> None:
    _billing_staff_on_alices_page(page, alice)
    page.get_by_label("Days of service to give").fill("400")
    page.locator("#devices").get_by_label("Reason (kept in the audit log)").nth(1).fill(
        "Line down for a week"
    )
    page.get_by_role("button", name="Give goodwill days").click()


def _report_range_backwards(page: Page, alice: Subscriber) -> None:
    billing = staff_with_role("billing@example.com", BILLING)
    staff_sign_in(page, billing, PASSWORD)
    page.goto("/staff/reports/trials/")
    page.get_by_label("From").fill("2099-01-05")
    page.get_by_role("button", name="Show").click()


def _help_no_without_a_reason(page: Page, alice: Subscriber) -> None:
    help_articles_seed()
    page.goto("/help/troubleshooting/device-does-not-start/")
    page.get_by_role("button", name="No", exact=True).click()
    page.get_by_role("button", name="Send").click()


def _help_search_without_words(page: Page, alice: Subscriber) -> None:
    help_articles_seed()
    page.goto("/help/")
    page.get_by_label("Search the help centre").fill("?!")
    page.get_by_role("button", name="Search", exact=True).click()


REFUSALS: dict[str, Callable[[Page, Subscriber], None]] = {
    "sign-in": _sign_in_refused,
    "profile": _profile_refused,
    "renew": _renew_without_a_choice,
    "re-up": _wrong_reup_pin,
    "contact": _contact_sent_empty,
    "request-answer": _request_answer_empty,
    "desk-answer": _desk_answer_empty,
    "staff-suspend-without-reason": _suspend_without_a_reason,
    "staff-refund-bad-amount": _refund_a_bad_amount,
    "staff-goodwill-out-of-bounds": _goodwill_days_out_of_bounds,
    "report-range": _report_range_backwards,
    "help-no-reason": _help_no_without_a_reason,
    "help-search": _help_search_without_words,
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
