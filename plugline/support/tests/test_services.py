"""The ticket services: open, answers both ways, assignment and status, with their emails."""

from __future__ import annotations

import pytest

from conftest import Subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.notifications.models import OutboxMessage
from plugline.support.models import Ticket, TicketLink, TicketSource, TicketStatus
from plugline.support.selectors import ticket_get_for_token
from plugline.support.services import (
    TicketRefused,
    ticket_assign,
    ticket_open,
    ticket_reply_by_agent,
    ticket_reply_by_customer,
    ticket_status_set,
)
from plugline.support.tests.factories import make_agent, open_ticket

pytestmark = pytest.mark.django_db


def test_it_opens_a_ticket_and_emails_its_reference_with_a_link_to_my_requests(
    alice: Subscriber,
) -> None:
    ticket = open_ticket(alice.user)

    assert ticket.reference.startswith("T-") and len(ticket.reference) == 8
    assert (ticket.status, ticket.email, ticket.source) == ("open", alice.email, "form")
    [email] = OutboxMessage.objects.all()
    assert email.to_email == alice.email
    assert email.subject == f"We received your request {ticket.reference}"
    assert f"/account/requests/{ticket.reference}/" in email.body_text
    assert "The phone gives no dial tone since this morning." in email.body_text


def test_it_takes_the_signed_in_requesters_name_email_and_language(bob: Subscriber) -> None:
    ticket = ticket_open(
        subject="",
        body="Ma ligne est coupée.\nDepuis hier.",
        language="en",
        user=bob.user,
        name="Someone Else",
        email="someone@example.com",
    )

    assert (ticket.email, ticket.language, ticket.name) == (bob.email, "fr", "Alice Archer")
    assert ticket.subject == "Ma ligne est coupée."
    [email] = OutboxMessage.objects.all()
    assert (email.to_email, email.language) == (bob.email, "fr")
    assert email.subject == f"Nous avons bien reçu votre demande {ticket.reference}"


def test_it_gives_a_requester_who_is_not_signed_in_a_secret_link_kept_only_as_a_hash(
    db: None,
) -> None:
    ticket = open_ticket(email="gus@example.com")

    [email] = OutboxMessage.objects.all()
    assert email.to_email == "gus@example.com"
    [line] = [line for line in email.body_text.splitlines() if "/requests/" in line]
    token = line.rsplit("/", 2)[-2]
    assert ticket_get_for_token(token=token) == ticket
    assert not TicketLink.objects.filter(token_hash=token).exists()
    assert ticket_get_for_token(token=token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_it_keeps_the_chat_transcript_as_the_first_message(alice: Subscriber) -> None:
    ticket = ticket_open(
        subject="Chat",
        body="Please call me back.",
        language="en",
        user=alice.user,
        source="chat",
        transcript="Alice: hello?\n(no agent online)",
    )

    assert ticket.source == TicketSource.CHAT
    first, second = ticket.messages.order_by("created_at", "pk")
    assert (first.is_chat_transcript, first.body) == (True, "Alice: hello?\n(no agent online)")
    assert (second.is_chat_transcript, second.body) == (False, "Please call me back.")


def test_it_refuses_an_empty_or_overlong_message(alice: Subscriber) -> None:
    for body in ("   ", "x" * 5001):
        with pytest.raises(TicketRefused):
            open_ticket(alice.user, body=body)
    assert not Ticket.objects.exists()


def test_it_emails_the_agents_answer_in_the_customers_language_and_waits_for_them(
    bob: Subscriber,
) -> None:
    ticket = open_ticket(bob.user)
    agent = make_agent()

    ticket_reply_by_agent(ticket=ticket, agent=agent, body="Essayez un autre port USB.")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (TicketStatus.WAITING, agent)
    email = OutboxMessage.objects.latest("pk")
    assert (email.to_email, email.language) == (bob.email, "fr")
    assert email.subject == f"Notre réponse à votre demande {ticket.reference}"
    assert "Essayez un autre port USB." in email.body_text
    assert f"/account/requests/{ticket.reference}/" in email.body_text
    [event] = AuditEvent.objects.filter(action=AuditAction.TICKET_REPLIED)
    assert (event.actor, event.user, event.data) == (agent, bob.user, {"ticket": ticket.reference})


def test_a_customers_answer_reopens_a_solved_ticket(alice: Subscriber) -> None:
    ticket = open_ticket(alice.user)
    agent = make_agent()
    ticket_status_set(ticket=ticket, status=TicketStatus.SOLVED, actor=agent)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED and ticket.solved_at is not None

    ticket_reply_by_customer(ticket=ticket, body="Still no dial tone.", user=alice.user)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.solved_at) == (TicketStatus.OPEN, None)
    assert [message.body for message in ticket.messages.all()][-1] == "Still no dial tone."


def test_it_assigns_only_to_staff_who_may_answer_tickets(
    alice: Subscriber, bob: Subscriber
) -> None:
    ticket = open_ticket(alice.user)
    agent = make_agent()
    other = make_agent("other@example.com", first_name="Olga")

    ticket_assign(ticket=ticket, assignee=other, actor=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == other
    with pytest.raises(TicketRefused):
        ticket_assign(ticket=ticket, assignee=bob.user, actor=agent)
    ticket_assign(ticket=ticket, assignee=None, actor=agent)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    events = AuditEvent.objects.filter(action=AuditAction.TICKET_ASSIGNED).order_by("pk")
    assert [event.data["assignee"] for event in events] == [other.pk, None]


def test_it_audits_a_status_change_without_the_tickets_text(alice: Subscriber) -> None:
    ticket = open_ticket(alice.user, body="My secret PIN is 1234")
    agent = make_agent()

    ticket_status_set(ticket=ticket, status=TicketStatus.SOLVED, actor=agent)
    ticket_status_set(ticket=ticket, status=TicketStatus.SOLVED, actor=agent)

    [event] = AuditEvent.objects.filter(action=AuditAction.TICKET_STATUS_CHANGED)
    assert event.data == {"ticket": ticket.reference, "from": "open", "to": "solved"}
    assert "1234" not in str(AuditEvent.objects.values_list("data", flat=True))
    with pytest.raises(TicketRefused):
        ticket_status_set(ticket=ticket, status="lost", actor=agent)


def test_it_never_logs_what_the_customer_or_the_agent_wrote(
    alice: Subscriber, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    ticket = open_ticket(alice.user, subject="Private matter", body="My PIN is 480213")
    ticket_reply_by_agent(ticket=ticket, agent=make_agent(), body="Your code is 771904")
    ticket_reply_by_customer(ticket=ticket, body="Thanks, 771904 works", user=alice.user)

    assert caplog.records, "the services log that a ticket was opened"
    logged = caplog.text + " ".join(str(vars(record)) for record in caplog.records)
    assert ticket.reference in logged
    for secret in ("Private matter", "480213", "771904"):
        assert secret not in logged
