"""The ticket desk: only for staff signed in with two-factor who may answer tickets; the list
and its filters, answering (emailed in the customer's language), assigning, status."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber, make_subscriber, sign_in_with_two_factor
from plugline.accounts.models import User
from plugline.core.models import AuditAction, AuditEvent
from plugline.notifications.models import OutboxMessage
from plugline.support.models import TicketStatus
from plugline.support.services import ticket_assign, ticket_status_set
from plugline.support.tests.factories import make_agent, open_ticket

pytestmark = pytest.mark.django_db
DESK = "/staff/tickets/"


@pytest.fixture
def agent(client: Client) -> User:
    """An agent who may answer tickets, signed in on `client` with two-factor."""
    agent = make_agent()
    sign_in_with_two_factor(client, agent)
    return agent


def test_it_opens_only_to_staff_with_two_factor_who_may_answer_tickets(
    client: Client, alice: Subscriber
) -> None:
    ticket = open_ticket(alice.user)
    urls = [DESK, f"{DESK}{ticket.reference}/"]
    for url in urls:
        assert "/accounts/login/" in client.get(url)["Location"]
    client.force_login(alice.user)
    for url in urls:
        assert client.get(url).status_code == 403
    agent = make_agent()
    client.force_login(agent)
    for url in urls:
        assert client.get(url)["Location"] == "/accounts/2fa/totp/activate/"
    staff_without_permission = make_subscriber("clerk@example.com", numbers=()).user
    staff_without_permission.is_staff = True
    staff_without_permission.save(update_fields=["is_staff"])
    sign_in_with_two_factor(client, staff_without_permission)
    for url in urls:
        assert client.get(url).status_code == 403
    assert client.post(f"{DESK}{ticket.reference}/reply/", {"body": "hi"}).status_code == 403
    assert ticket.messages.count() == 1


def test_it_lists_tickets_with_the_staff_navigation_and_filters(
    client: Client, agent: User, alice: Subscriber, bob: Subscriber
) -> None:
    mine = open_ticket(alice.user, subject="Alice's line")
    nobodys = open_ticket(bob.user, subject="Bob's card")
    solved = open_ticket(email="gus@example.com", subject="Gus's question")
    ticket_assign(ticket=mine, assignee=agent, actor=agent)
    ticket_status_set(ticket=solved, status=TicketStatus.SOLVED, actor=agent)

    page = client.get(DESK).content.decode()
    assert '<a href="/staff/tickets/" aria-current="page">Tickets</a>' in page
    assert all(t.reference in page for t in (mine, nobodys, solved))

    def listed(query: str) -> set[str]:
        page = client.get(DESK + query).content.decode()
        return {t.reference for t in (mine, nobodys, solved) if t.reference in page}

    assert listed("?mine=1") == {mine.reference}
    assert listed("?unassigned=1") == {nobodys.reference, solved.reference}
    assert listed("?status=solved") == {solved.reference}
    assert listed("?status=open&unassigned=1") == {nobodys.reference}
    assert listed("?status=nonsense") == {mine.reference, nobodys.reference, solved.reference}


def test_an_agents_answer_is_emailed_in_the_customers_language_and_shown_on_my_requests(
    client: Client, agent: User, bob: Subscriber
) -> None:
    ticket = open_ticket(bob.user)

    answer = client.post(
        f"{DESK}{ticket.reference}/reply/", {"body": "Branchez-le sur un autre port."}
    )

    assert answer.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (TicketStatus.WAITING, agent)
    email = OutboxMessage.objects.latest("pk")
    assert (email.to_email, email.language) == (bob.email, "fr")
    assert "Branchez-le sur un autre port." in email.body_text
    assert email.subject.startswith("Notre réponse")
    customer = Client()
    customer.force_login(bob.user)
    thread = customer.get(f"/account/requests/{ticket.reference}/").content.decode()
    assert "Branchez-le sur un autre port." in thread


def test_an_empty_answer_is_refused_and_nothing_is_sent(
    client: Client, agent: User, alice: Subscriber
) -> None:
    ticket = open_ticket(alice.user)
    sent = OutboxMessage.objects.count()

    answer = client.post(f"{DESK}{ticket.reference}/reply/", {"body": ""})

    assert answer.status_code == 400
    assert "Write your message." in answer.content.decode()
    assert OutboxMessage.objects.count() == sent
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


def test_it_assigns_a_ticket_to_me_or_to_another_agent_but_not_to_a_customer(
    client: Client, agent: User, alice: Subscriber
) -> None:
    ticket = open_ticket(alice.user)
    other = make_agent("olga@example.com", first_name="Olga")
    url = f"{DESK}{ticket.reference}/assign/"

    client.post(url, {"to_me": "1"})
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    page = client.get(f"{DESK}{ticket.reference}/").content.decode()
    assert f'<option value="{other.pk}">Olga Agent</option>' in page

    client.post(url, {"assignee": str(other.pk)})
    ticket.refresh_from_db()
    assert ticket.assignee == other

    refused = client.post(url, {"assignee": str(alice.user.pk)}, follow=True)
    ticket.refresh_from_db()
    assert ticket.assignee == other
    assert "Choose someone who may answer tickets." in refused.content.decode()

    client.post(url, {"assignee": ""})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert AuditEvent.objects.filter(action=AuditAction.TICKET_ASSIGNED).count() == 3


def test_it_marks_a_ticket_solved(client: Client, agent: User, alice: Subscriber) -> None:
    ticket = open_ticket(alice.user)

    page = client.post(
        f"{DESK}{ticket.reference}/status/", {"status": "solved"}, follow=True
    ).content.decode()

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED and ticket.solved_at is not None
    assert '<span class="badge success">Solved</span>' in page
    event = AuditEvent.objects.get(action=AuditAction.TICKET_STATUS_CHANGED)
    assert (event.actor, event.user) == (agent, alice.user)
    client.post(f"{DESK}{ticket.reference}/status/", {"status": "lost"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED


def test_an_unknown_reference_is_not_found(client: Client, agent: User) -> None:
    assert client.get(f"{DESK}T-000000/").status_code == 404


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_desk_costs_the_same_queries_for_many_tickets_and_long_threads(
    client: Client, agent: User, alice: Subscriber
) -> None:
    from plugline.support.services import ticket_reply_by_agent

    ticket = open_ticket(alice.user)
    ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    client.get(DESK)
    few = queries(client, DESK)
    short = queries(client, f"{DESK}{ticket.reference}/")

    for number in range(5):
        other = open_ticket(email=f"guest{number}@example.com")
        ticket_assign(ticket=other, assignee=make_agent(f"a{number}@example.com"), actor=agent)
        ticket_reply_by_agent(ticket=ticket, agent=agent, body=f"Answer {number}")

    assert queries(client, DESK) == few
    assert queries(client, f"{DESK}{ticket.reference}/") == short


@pytest.mark.parametrize("reference", ["%00", "T-1%00", "T-%EF%BC%91%EF%BC%92", "x" * 10_000])
def test_a_reference_that_is_not_one_is_not_found_at_the_desk(
    client: Client, agent: User, alice: Subscriber, reference: str
) -> None:
    # PostgreSQL refuses a NUL byte in a query: the address itself must not reach it.
    ticket = open_ticket(alice.user)

    assert client.get(f"{DESK}{reference}/").status_code == 404
    for action in ("reply", "assign", "status"):
        posted = client.post(f"{DESK}{reference}/{action}/", {"body": "hi", "status": "solved"})
        assert posted.status_code == 404
    assert ticket.messages.count() == 1


DESK_NASTY = ["sNaN", "1e999999999", "-1", "0x10", "\uff11\uff12", "\x00", "9" * 10_000, " "]


@pytest.mark.parametrize("value", DESK_NASTY, ids=lambda value: repr(value[:12]))
def test_the_desk_answers_nasty_values_with_a_message_and_changes_nothing(
    client: Client, agent: User, alice: Subscriber, value: str
) -> None:
    ticket = open_ticket(alice.user)
    url = f"{DESK}{ticket.reference}/"
    for query in ({"page": value}, {"status": value}, {"mine": value, "unassigned": value}):
        listed = client.get(DESK, query)
        assert listed.status_code == 200, query
        assert ticket.reference in listed.content.decode(), query

    assigned = client.post(url + "assign/", {"assignee": value}, follow=True)
    status = client.post(url + "status/", {"status": value}, follow=True)

    assert "Choose someone who may answer tickets." in assigned.content.decode()
    assert "Choose one of the statuses shown." in status.content.decode()
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (None, TicketStatus.OPEN)
    assert not AuditEvent.objects.filter(
        action__in=[AuditAction.TICKET_ASSIGNED, AuditAction.TICKET_STATUS_CHANGED]
    ).exists()
