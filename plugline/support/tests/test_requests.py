"""'My requests' and a ticket's thread: the owner's only, answering reopens, and the secret
link for someone who was not signed in."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber
from plugline.notifications.models import OutboxMessage
from plugline.support.models import Ticket, TicketStatus
from plugline.support.services import ticket_reply_by_agent, ticket_status_set
from plugline.support.tests.factories import make_agent, open_ticket

pytestmark = pytest.mark.django_db


def link_in_last_email() -> str:
    body = OutboxMessage.objects.latest("pk").body_text
    [url] = re.findall(r"https?://\S+/requests/\S+/", body)
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_it_lists_my_requests_newest_first_with_their_status(
    client: Client, alice: Subscriber, bob: Subscriber
) -> None:
    older = open_ticket(alice.user, subject="Older question")
    newer = open_ticket(alice.user, subject="Newer question")
    open_ticket(bob.user, subject="Bob's question")
    ticket_status_set(ticket=older, status=TicketStatus.SOLVED, actor=make_agent())
    client.force_login(alice.user)

    page = client.get("/account/requests/").content.decode()

    assert page.index("Newer question") < page.index("Older question")
    assert "Bob's question" not in page
    assert f'href="/account/requests/{newer.reference}/"' in page
    assert '<span class="badge success">Solved</span>' in page
    assert '<span class="badge neutral">Open</span>' in page


def test_it_links_my_requests_from_the_account_page_and_contact_from_every_page(
    client: Client, alice: Subscriber
) -> None:
    alice.user.language = "da"
    alice.user.save(update_fields=["language"])
    client.force_login(alice.user)

    page = client.get("/account/").content.decode()

    assert '<a href="/account/requests/">Mine henvendelser</a>' in page
    assert '<a href="/contact/">Kontakt os</a>' in page


def test_it_shows_the_thread_with_the_agents_answer(client: Client, alice: Subscriber) -> None:
    ticket = open_ticket(alice.user)
    ticket_reply_by_agent(ticket=ticket, agent=make_agent(), body="Try another USB port <b>.")
    client.force_login(alice.user)

    page = client.get(f"/account/requests/{ticket.reference}/").content.decode()

    assert "The phone gives no dial tone since this morning." in page
    assert "Try another USB port &lt;b&gt;." in page
    assert "Ada, support" in page
    assert '<span class="badge warning">Waiting for customer</span>' in page


def test_someone_elses_request_is_not_found(
    client: Client, alice: Subscriber, bob: Subscriber
) -> None:
    bobs = open_ticket(bob.user)
    client.force_login(alice.user)

    assert client.get(f"/account/requests/{bobs.reference}/").status_code == 404
    refused = client.post(f"/account/requests/{bobs.reference}/", {"body": "Mine now"})
    assert refused.status_code == 404
    assert bobs.messages.count() == 1


def test_it_asks_to_sign_in_for_my_requests(client: Client, alice: Subscriber) -> None:
    ticket = open_ticket(alice.user)

    answer = client.get(f"/account/requests/{ticket.reference}/")

    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_my_answer_reopens_a_solved_request(client: Client, alice: Subscriber) -> None:
    ticket = open_ticket(alice.user)
    ticket_status_set(ticket=ticket, status=TicketStatus.SOLVED, actor=make_agent())
    client.force_login(alice.user)

    answer = client.post(
        f"/account/requests/{ticket.reference}/", {"body": "It stopped again."}, follow=True
    )

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    page = answer.content.decode()
    assert "Your answer is sent." in page and "It stopped again." in page


def test_an_empty_answer_is_refused_in_my_language(client: Client, bob: Subscriber) -> None:
    ticket = open_ticket(bob.user)
    client.force_login(bob.user)

    answer = client.post(f"/account/requests/{ticket.reference}/", {"body": "  "})

    assert answer.status_code == 400
    assert "Écrivez votre message." in answer.content.decode()
    assert ticket.messages.count() == 1


def test_someone_not_signed_in_follows_and_answers_from_the_emailed_link(
    client: Client,
) -> None:
    ticket = open_ticket(email="gus@example.com")
    ticket_reply_by_agent(ticket=ticket, agent=make_agent(), body="Which light is off?")
    link = link_in_last_email()

    page = client.get(link).content.decode()
    assert "Which light is off?" in page
    client.post(link, {"body": "The green one."})

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert [m.body for m in ticket.messages.all()][-1] == "The green one."
    # The first email's link still works too.
    first = OutboxMessage.objects.order_by("pk").first()
    assert first is not None and "/requests/" in first.body_text


def test_a_wrong_link_says_it_does_not_work_without_a_4xx_that_would_log_it(
    client: Client,
) -> None:
    open_ticket(email="gus@example.com")

    answer = client.get("/requests/not-a-real-token/")

    assert answer.status_code == 200
    assert "This link does not work" in answer.content.decode()
    assert client.post("/requests/not-a-real-token/", {"body": "hi"}).status_code == 200
    assert Ticket.objects.get().messages.count() == 1


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_my_requests_and_a_thread_cost_the_same_queries_however_long(
    client: Client, alice: Subscriber
) -> None:
    agent = make_agent()
    ticket = open_ticket(alice.user)
    client.force_login(alice.user)
    client.get("/account/requests/")
    few_tickets = queries(client, "/account/requests/")
    short_thread = queries(client, f"/account/requests/{ticket.reference}/")

    for number in range(5):
        open_ticket(alice.user, subject=f"More {number}")
        ticket_reply_by_agent(ticket=ticket, agent=agent, body=f"Answer {number}")

    assert queries(client, "/account/requests/") == few_tickets
    assert queries(client, f"/account/requests/{ticket.reference}/") == short_thread


@pytest.mark.parametrize(
    "reference", ["%00", "T-1%00", "T-%EF%BC%91%EF%BC%92", "-1", "1e999999999", "x" * 10_000]
)
def test_a_reference_that_is_not_one_is_not_found_on_either_database(
    client: Client, alice: Subscriber, reference: str
) -> None:
    # PostgreSQL refuses a NUL byte in a query: the address itself must not reach it.
    open_ticket(alice.user)
    client.force_login(alice.user)

    assert client.get(f"/account/requests/{reference}/").status_code == 404
    assert client.post(f"/account/requests/{reference}/", {"body": "hi"}).status_code == 404


def test_it_stops_an_address_trying_many_wrong_links_and_never_logs_a_token(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    ticket = open_ticket(email="gus@example.com")
    link = link_in_last_email()
    for number in range(20):
        wrong = client.get(f"/requests/guess-{number:04d}/")
        assert "This link does not work" in wrong.content.decode()

    refused = client.get(link)
    refused_answer = client.post(link, {"body": "Still there?"})

    assert refused.status_code == refused_answer.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert "no dial tone" not in refused.content.decode()
    assert ticket.messages.count() == 1
    assert link.split("/")[-2] not in caplog.text
    # Another address, with the right link, still opens it; a right link counts for nothing.
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(25):
        assert "no dial tone" in elsewhere.get(link).content.decode()


@pytest.mark.parametrize(
    "token",
    ["%00", "abc%00def", "x" * 10_000, "%EF%BC%91%EF%BC%92", "-1", "1e999999999", "%E2%80%AE"],
    ids=lambda token: token[:12],
)
def test_an_odd_secret_link_says_it_does_not_work_on_either_database(
    client: Client, token: str
) -> None:
    open_ticket(email="gus@example.com")

    shown = client.get(f"/requests/{token}/")
    answered = client.post(f"/requests/{token}/", {"body": "hi"})

    assert shown.status_code == answered.status_code == 200
    assert "This link does not work" in shown.content.decode()
    assert Ticket.objects.get().messages.count() == 1
