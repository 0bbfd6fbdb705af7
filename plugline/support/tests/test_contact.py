"""The contact form: a ticket for anyone, the account's details when signed in, JSON for
scripts, errors in the reader's language with nothing typed lost, and a rate limit."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Subscriber
from plugline.notifications.models import OutboxMessage
from plugline.support.models import Ticket

pytestmark = pytest.mark.django_db
PAGE = "/contact/"
GUEST = {
    "name": "Gus Guest",
    "email": "gus@example.com",
    "subject": "Device not detected",
    "message": "The light stays off when I plug it in.",
}


def test_it_opens_a_ticket_for_someone_not_signed_in_and_says_what_happens_next(
    client: Client,
) -> None:
    answer = client.post(PAGE, GUEST)

    assert answer.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.name, ticket.email, ticket.subject, ticket.user) == (
        "Gus Guest",
        "gus@example.com",
        "Device not detected",
        None,
    )
    page = answer.content.decode()
    assert ticket.reference in page
    assert "we have emailed you a confirmation at gus@example.com" in page
    [email] = OutboxMessage.objects.all()
    assert email.to_email == "gus@example.com" and ticket.reference in email.subject


def main_of(page: str) -> str:
    """The page's own content (not the header, the footer or the chat widget)."""
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def test_it_uses_the_account_of_a_signed_in_customer_not_the_name_and_email_typed(
    client: Client, alice: Subscriber
) -> None:
    client.force_login(alice.user)
    form = main_of(client.get(PAGE).content.decode())
    assert 'name="email"' not in form

    answer = client.post(PAGE, {**GUEST, "email": "mallory@example.com", "subject": ""})

    ticket = Ticket.objects.get()
    assert (ticket.user, ticket.email) == (alice.user, alice.email)
    assert ticket.subject == "The light stays off when I plug it in."
    assert f'href="/account/requests/{ticket.reference}/"' in answer.content.decode()
    assert OutboxMessage.objects.get().to_email == alice.email


def test_it_answers_json_with_the_reference_and_the_requests_page(
    client: Client, alice: Subscriber
) -> None:
    client.force_login(alice.user)

    answer = client.post(PAGE, GUEST, HTTP_ACCEPT="application/json")

    ticket = Ticket.objects.get()
    assert answer.status_code == 200
    assert answer.json() == {
        "reference": ticket.reference,
        "url": f"/account/requests/{ticket.reference}/",
    }


def test_it_gives_no_link_in_json_to_someone_not_signed_in_the_email_has_it(
    client: Client,
) -> None:
    answer = client.post(PAGE, GUEST, HTTP_ACCEPT="application/json")

    assert answer.json() == {"reference": Ticket.objects.get().reference, "url": ""}


def test_it_answers_json_errors_in_the_readers_language(client: Client) -> None:
    answer = client.post(
        PAGE,
        {"name": "", "email": "gus@", "message": ""},
        HTTP_ACCEPT="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "errors": {
            "name": ["Écrivez votre nom."],
            "email": ["Écrivez une adresse e-mail complète, comme nom@example.com."],
            "message": ["Écrivez votre message."],
        }
    }
    assert not Ticket.objects.exists()


def test_it_keeps_what_was_typed_when_the_message_is_too_long(client: Client) -> None:
    answer = client.post(PAGE, {**GUEST, "message": "x" * 5001}, HTTP_ACCEPT_LANGUAGE="da")

    assert answer.status_code == 400
    page = answer.content.decode()
    assert "Skriv højst 5000 tegn (denne tekst har 5001)." in page
    assert 'value="Gus Guest"' in page and 'value="Device not detected"' in page
    assert "x" * 5001 in page
    assert not Ticket.objects.exists()


def test_it_works_without_javascript_as_a_plain_form_with_csrf(client: Client) -> None:
    page = client.get(PAGE).content.decode()

    assert '<form method="post" action="/contact/"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "<script" not in main_of(page)


def test_it_refuses_a_flood_of_requests_and_keeps_the_last_one_typed(client: Client) -> None:
    for number in range(3):
        assert client.post(PAGE, {**GUEST, "subject": f"Try {number}"}).status_code == 200

    refused = client.post(PAGE, {**GUEST, "subject": "Try 4"})

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "You have sent several requests in a short time" in page
    assert 'value="Try 4"' in page
    assert Ticket.objects.count() == 3
    assert OutboxMessage.objects.count() == 3
    json_refused = client.post(PAGE, GUEST, HTTP_ACCEPT="application/json")
    assert json_refused.status_code == 429
    assert list(json_refused.json()["errors"]) == ["__all__"]
