"""Saving a test card the way a cardholder does: on the hosted card page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.test import Client

from plugline.billing.gateways.base import Card
from plugline.billing.gateways.sandbox import SandboxGateway

RETURN_URL = "https://plugline.example/billing/cards/added/"


def customer(gateway: SandboxGateway, email: str = "alice@example.com") -> str:
    return gateway.customer_create(email=email, idempotency_key=f"customer-{email}")


def card_page_post(client: Client, page_url: str, number: str, **fields: str):
    data = {"number": number, "expiry": "12/34", "cvc": "123", "name": "Alice Archer"}
    data.update(fields)
    return client.post(page_url, data)


def card_saved(
    gateway: SandboxGateway,
    customer_id: str,
    number: str,
    *,
    verify: bool = False,
    client: Client | None = None,
) -> Card:
    """Types `number` on the hosted page and returns the card the gateway gives back."""
    client = client or Client()
    page_url = gateway.card_session_start(
        customer_id=customer_id, return_url=RETURN_URL, verify=verify
    )
    response = card_page_post(client, page_url, number)
    assert response.status_code == 302, response.content.decode()
    returned = urlsplit(response["Location"])
    session_id = parse_qs(returned.query)["session"][0]
    card = gateway.card_session_result(session_id=session_id, customer_id=customer_id)
    assert card is not None
    return card
