"""The staff console in a real browser: a support agent signs in with a code from their
authenticator app, finds the customer by each kind of identifier and reads their story; a
billing colleague refunds part of a payment with a reason that joins the timeline; the support
agent has no refund button and is refused the refund. No axe-core violation, 360 px and the
keyboard alone, in English, French and Danish."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from conftest import PASSWORD, Subscriber
from e2e.helpers import OpenPage, fits, staff_sign_in, tab_to
from e2e.test_staff_accessibility import violations
from plugline.backoffice.roles import BILLING, SUPPORT_AGENT
from plugline.backoffice.tests.conftest import (
    Customer,
    customer_make,
    gateway_ready,
    staff_with_role,
)
from plugline.notifications.models import OutboxMessage


@pytest.fixture
def customer(alice: Subscriber) -> Customer:
    """The console tests' customer: one of every identifier (backoffice/tests/conftest.py)."""
    gateway_ready()
    return customer_make(alice)


SEARCH_LABEL = {
    "en": "Email, phone number, serial, order, invoice, Re-Up serial or card",
    "fr": "E-mail, numéro de téléphone, numéro de série, commande, facture, série Re-Up ou carte",
    "da": "E-mail, telefonnummer, serienummer, ordre, faktura, Re-Up-serienummer eller kort",
}


def find(page: Page, query: str, language: str = "en") -> None:
    page.goto("/staff/")
    page.get_by_label(SEARCH_LABEL[language]).fill(query)
    page.get_by_label(SEARCH_LABEL[language]).press("Enter")


def test_a_support_agent_finds_the_customer_by_each_identifier_and_reads_their_story(
    customer: Customer, open_page: OpenPage
) -> None:
    agent = staff_with_role("agent@example.com", SUPPORT_AGENT)
    page = open_page()
    staff_sign_in(page, agent, PASSWORD)
    story = re.compile(rf"/staff/customers/{customer.user.pk}/$")
    for query in [
        "alice@example.com",
        "(212) 555-0147",
        "PLTEST5550147",
        str(customer.payment.invoice_number),
        customer.reup_card.serial,
    ]:
        find(page, query)
        expect(page).to_have_url(story)
        expect(page.get_by_role("heading", name="Alice Archer", level=1)).to_be_visible()

    devices = page.locator("#devices")
    expect(devices).to_contain_text("PLTEST5550147")
    expect(devices).to_contain_text("(212) 555-0147")
    payments = page.locator("#payments")
    expect(payments).to_contain_text("$49.99")
    receipt = OutboxMessage.objects.filter(template="billing/email/receipt").first()
    assert receipt is not None
    expect(page.locator("#emails")).to_contain_text(receipt.subject)
    expect(page.locator("#timeline")).to_contain_text("Re-Up card redeemed")

    # No refund for a support agent: no button, and the server refuses the form.
    expect(page.get_by_role("button", name="Refund", exact=True)).to_have_count(0)
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    refused = page.request.post(
        reverse(
            "backoffice:refund",
            kwargs={"pk": customer.user.pk, "payment_id": customer.payment.pk},
        ),
        form={"amount": "10.00", "reason": "Trying", "csrfmiddlewaretoken": token or ""},
        headers={"Referer": page.url},
    )
    assert refused.status == 403
    customer.payment.refresh_from_db()
    assert customer.payment.refunded_amount == 0


def test_billing_staff_refund_part_of_a_payment_and_the_reason_joins_the_timeline(
    customer: Customer, open_page: OpenPage
) -> None:
    billing = staff_with_role("billing@example.com", BILLING)
    page = open_page()
    staff_sign_in(page, billing, PASSWORD)
    find(page, "alice@example.com")
    page.get_by_label("Amount to refund (at most $49.99)").fill("10.00")
    payments = page.locator("#payments")
    payments.get_by_label("Reason (kept in the audit log)").first.fill("Line down for a week")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_text("Refunded $10.00.")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("reason: Line down for a week")
    customer.payment.refresh_from_db()
    assert customer.payment.refunded_amount == 1000


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("fr", 360), ("da", 360)])
def test_the_console_pages_pass_axe_fit_a_phone_and_work_by_keyboard(
    customer: Customer, open_page: OpenPage, language: str, width: int
) -> None:
    billing = staff_with_role("billing@example.com", BILLING)
    billing.language = language
    billing.save(update_fields=["language"])
    page = open_page(width=width, height=800)
    staff_sign_in(page, billing, PASSWORD)

    page.goto("/staff/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    found = violations(page, f"/staff/ ({language}, {width} px)")
    assert fits(page)
    # The keyboard alone: to the search box, type, Enter.
    search = page.get_by_label(SEARCH_LABEL[language])
    tab_to(page, search, limit=40)
    page.keyboard.type("(212) 555-0147")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Alice Archer", level=1)).to_be_visible()
    found += violations(page, f"customer ({language}, {width} px)")
    assert fits(page)

    find(page, "nobody@example.com", language)
    found += violations(page, f"no match ({language}, {width} px)")
    find(page, "hello there", language)
    found += violations(page, f"bad input ({language}, {width} px)")
    assert not found, "\n".join(found)
