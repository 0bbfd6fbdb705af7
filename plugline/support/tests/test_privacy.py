"""A requester's tickets in "Download my data", and gone with "Close my account"."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Subscriber
from plugline.accounts.services import account_close
from plugline.support.models import Ticket, TicketMessage
from plugline.support.services import ticket_reply_by_agent
from plugline.support.tests.factories import make_agent, open_ticket

pytestmark = pytest.mark.django_db


def test_my_data_holds_my_requests_and_their_answers_and_no_secret_link(
    client: Client, alice: Subscriber, bob: Subscriber
) -> None:
    ticket = open_ticket(alice.user, subject="No dial tone")
    ticket_reply_by_agent(ticket=ticket, agent=make_agent(), body="Try another port.")
    open_ticket(bob.user, subject="Bob's question")
    client.force_login(alice.user)

    exported = client.post("/account/privacy/download/").json()["support_requests"]

    [request] = exported
    assert (request["reference"], request["subject"], request["status"]) == (
        ticket.reference,
        "No dial tone",
        "waiting",
    )
    assert [(m["written_by"], m["body"]) for m in request["messages"]] == [
        ("customer", "The phone gives no dial tone since this morning."),
        ("agent", "Try another port."),
    ]


def test_closing_my_account_deletes_my_requests_and_keeps_others(
    alice: Subscriber, bob: Subscriber
) -> None:
    open_ticket(alice.user)
    bobs = open_ticket(bob.user)

    account_close(user=alice.user)

    assert list(Ticket.objects.all()) == [bobs]
    assert TicketMessage.objects.filter(ticket__user__isnull=True).count() == 0
