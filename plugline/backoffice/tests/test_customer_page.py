"""The customer's page: the whole story on one screen, in a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_subscriber
from plugline.accounts.models import User
from plugline.backoffice.tests.conftest import Customer, pay
from plugline.billing.tests.factories import card_on_file
from plugline.chat.services import conversation_open
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.devices.services import device_assign
from plugline.notifications.models import OutboxMessage
from plugline.support.services import ticket_open
from plugline.telephony.models import CallOutcome, CallRecord


def text_of(page: str) -> str:
    """The page's text, without its tags and their attributes."""
    return re.sub(r"<[^>]*>", " ", page)


def page_of(client: Client, user: User, **params: str) -> str:
    response = client.get(reverse("backoffice:customer", kwargs={"pk": user.pk}), params)
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_profile_devices_payments_emails_calls_and_timeline(
    customer: Customer, agent_client: Client
) -> None:
    device = customer.device
    device.e911_street_address = "1 Main Street"
    device.e911_city = "New York"
    device.save()
    CallRecord.objects.create(
        call_id="call-1",
        caller="+12125550147",
        callee="+13125550100",
        caller_device=device,
        started_at=timezone.now(),
        duration_seconds=62,
        outcome=CallOutcome.ANSWERED,
        sip_code="200",
    )
    page = page_of(agent_client, customer.user)
    # Profile and emails, with which is original, preferred, verified.
    assert "alice@example.com" in page and "alice.work@example.org" in page
    assert "original" in page and "preferred" in page and "verified" in page
    # The device: serial, number, status, E911 address, AutoRenew.
    assert "PLTEST5550147" in page and "(212) 555-0147" in page
    assert "1 Main Street" in page and "AutoRenew" in page
    # Payments formatted as money, never "4999 USD" (a number of its own in the page's text;
    # the times' datetime attributes, with microseconds, may hold those digits).
    assert "$49.99" in page and not re.search(r"(?<![\w.:-])4999(?![\w.:-])", text_of(page))
    assert f"invoice {customer.payment.invoice_number}" in page
    # The outbox: the receipt's subject; never the body.
    receipt = OutboxMessage.objects.filter(user=customer.user).first()
    assert receipt is not None and receipt.subject in page
    assert receipt.body_text[:40] not in page
    # Calls and the timeline (newest first).
    assert "+13125550100" in page and "62" in page
    assert "Re-Up card redeemed" in page and "Payment" in page
    assert page.index("Re-Up card redeemed") < page.index("Card added")


def test_it_pages_the_timeline(customer: Customer, agent_client: Client) -> None:
    for number in range(30):
        audit_record(action=AuditAction.PROFILE_CHANGED, user=customer.user, data={"n": number})
    first = page_of(agent_client, customer.user)
    assert "Page 1 of 2" in first and "Older" in first
    second = page_of(agent_client, customer.user, page="2")
    assert "Page 2 of 2" in second and "Card added" in second


def test_it_answers_404_for_no_such_customer(agent_client: Client) -> None:
    response = agent_client.get(reverse("backoffice:customer", kwargs={"pk": 999999}))
    assert response.status_code == 404


@pytest.mark.django_db
def test_it_lists_the_customers_support_tickets_with_a_link_to_the_desk(
    customer: Customer, agent_client: Client
) -> None:
    assert "No support tickets." in page_of(agent_client, customer.user)
    ticket = ticket_open(
        subject="My device does not start", body="Hello", language="en", user=customer.user
    )
    page = page_of(agent_client, customer.user)
    assert f'href="/staff/tickets/{ticket.reference}/"' in page
    assert "My device does not start" in page
    assert "No support tickets." not in page


@pytest.mark.django_db
def test_it_lists_the_customers_live_chats(customer: Customer, agent_client: Client) -> None:
    assert "No live chats." in page_of(agent_client, customer.user)
    conversation_open(user=customer.user, language="en")
    page = page_of(agent_client, customer.user)
    assert "No live chats." not in page
    assert "<td>Waiting for an agent</td>" in page


def _queries(client: Client, user: User) -> int:
    with CaptureQueriesContext(connection) as queries:
        page_of(client, user)
    return len(queries)


@pytest.mark.django_db
def test_it_takes_as_many_queries_for_fifty_devices_and_payments_as_for_one(
    customer: Customer, agent_client: Client
) -> None:
    page_of(agent_client, customer.user)  # the session's and the caches' first reads
    small = _queries(agent_client, customer.user)
    bob = make_subscriber("bob@example.com", numbers=("+13125550100",))
    card = card_on_file(bob.user)
    devices = [bob.devices[0]] + [
        device_assign(
            serial=f"PLBULK{number:04d}", owner=bob.user, phone_number=f"+1312555{2000 + number}"
        )
        for number in range(49)
    ]
    for number, device in enumerate(devices):
        pay(bob.user, device, card, f"pay_bulk_{number}")
    for number in range(50):
        audit_record(action=AuditAction.PROFILE_CHANGED, user=bob.user, data={"n": number})
        ticket_open(subject=f"Question {number}", body="Hello", language="en", user=bob.user)
        conversation_open(user=bob.user, language="en")
    assert bob.user.devices.count() == 50
    assert bob.user.payments.count() == 50
    assert _queries(agent_client, bob.user) == small


@pytest.mark.parametrize(
    ("language", "address", "refund"),
    [("fr", "<dt>Adresse</dt>", ">Rembourser<"), ("da", "<dt>Adresse</dt>", ">Refundér<")],
)
def test_it_reads_in_french_and_danish_with_words_meant_for_this_page(
    customer: Customer,
    billing_client: Client,
    billing_staff: User,
    language: str,
    address: str,
    refund: str,
) -> None:
    billing_staff.language = language
    billing_staff.save(update_fields=["language"])
    page = page_of(billing_client, customer.user)
    assert address in page
    assert "Adresse IP" not in page and "IP-adresse" not in page
    assert refund in page
