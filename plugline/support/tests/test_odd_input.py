"""The contact form and a ticket's answers take whatever is posted (NUL bytes, odd Unicode,
huge bodies) and answer with the form's message, never a 500; nothing refused is saved,
and one address cannot fill the desk with different emails."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Subscriber
from plugline.notifications.models import OutboxMessage
from plugline.support.models import Ticket
from plugline.support.tests.factories import open_ticket

pytestmark = pytest.mark.django_db
GUEST = {
    "name": "Gus Guest",
    "email": "gus@example.com",
    "subject": "Device not detected",
    "message": "The light stays off when I plug it in.",
}
ODD = ["\x00", "Gus\x00", "x" * 10_000]


@pytest.mark.parametrize("field", list(GUEST))
@pytest.mark.parametrize("value", ODD, ids=lambda value: repr(value[:8]))
def test_the_contact_form_refuses_odd_input_and_keeps_the_rest(
    client: Client, field: str, value: str
) -> None:
    answer = client.post("/contact/", {**GUEST, field: value})

    assert answer.status_code == 400
    assert answer.context["form"].errors[field]
    assert not Ticket.objects.exists() and not OutboxMessage.objects.exists()
    page = answer.content.decode()
    for other, typed in GUEST.items():
        if other != field:
            assert typed in page, other


def test_the_contact_form_explains_a_nul_byte_in_json_in_the_readers_language(
    client: Client,
) -> None:
    answer = client.post(
        "/contact/",
        {**GUEST, "message": "Hello\x00"},
        HTTP_ACCEPT="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert answer.status_code == 400
    assert answer.json()["errors"]["message"] == ["Le caractère nul n\u2019est pas autorisé."]


def test_a_body_beyond_what_django_reads_is_a_400_not_a_500(client: Client, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000

    answer = client.post("/contact/", {**GUEST, "message": "x" * 200_000})

    assert answer.status_code == 400
    assert not Ticket.objects.exists()


def test_one_address_cannot_fill_the_desk_with_different_emails(client: Client) -> None:
    statuses = [
        client.post("/contact/", {**GUEST, "email": f"gus{n}@example.com"}).status_code
        for n in range(7)
    ]

    assert statuses == [200] * 5 + [429] * 2
    assert Ticket.objects.count() == 5


@pytest.mark.parametrize("body", ["\x00", "The green\x00 one", "x" * 10_000])
def test_an_odd_answer_on_a_tickets_page_is_refused_and_the_thread_kept(
    client: Client, alice: Subscriber, body: str
) -> None:
    ticket = open_ticket(alice.user)
    client.force_login(alice.user)

    answer = client.post(f"/account/requests/{ticket.reference}/", {"body": body})

    assert answer.status_code == 400
    assert answer.context["form"].errors["body"]
    assert ticket.messages.count() == 1
