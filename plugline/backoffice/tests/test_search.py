"""Staff find a customer by any one of their identifiers, exactly; searches are audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_subscriber
from plugline.accounts.models import User
from plugline.backoffice.tests.conftest import Customer
from plugline.core.models import AuditAction, AuditEvent

HOME = reverse("backoffice:home")


def search(client: Client, query: str):
    return client.get(HOME, {"q": query})


@pytest.mark.parametrize(
    "query",
    [
        "alice@example.com",
        "ALICE@example.com",
        "alice.work@example.org",
        "(212) 555-0147",
        "+1 212-555-0147",
        "2125550147",
        "212.555.0147",
        "PLTEST5550147",
        "pltest5550147",
        "WO-77001",
        "4242 12/29",
        "4242 12/2029",
    ],
)
def test_it_goes_straight_to_the_customer_found_by_an_identifier(
    customer: Customer, agent_client: Client, query: str
) -> None:
    response = search(agent_client, query)
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:customer", kwargs={"pk": customer.user.pk})


def test_it_finds_the_customer_by_invoice_number_and_re_up_serial(
    customer: Customer, agent_client: Client
) -> None:
    page = reverse("backoffice:customer", kwargs={"pk": customer.user.pk})
    assert search(agent_client, str(customer.payment.invoice_number))["Location"] == page
    assert search(agent_client, customer.reup_card.serial)["Location"] == page


def test_it_lists_several_customers_with_why_each_matched(
    customer: Customer, agent_client: Client, gateway: object
) -> None:
    from plugline.billing.tests.factories import card_on_file

    bob = make_subscriber("bob@example.com", numbers=("+13125550100",)).user
    card_on_file(bob, expiry="12/29")  # the same test card: 4242, 12/29
    response = search(agent_client, "4242 12/29")
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 customers match." in page
    assert "alice@example.com" in page and "bob@example.com" in page
    assert "Matched by: card&#x27;s last four digits and expiry" in page


def test_it_says_when_no_customer_matches(customer: Customer, agent_client: Client) -> None:
    page = search(agent_client, "nobody@example.com").content.decode()
    assert "No customer matches exactly." in page
    assert "alice@example.com" not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type something to search for."),
        ("hello there", "Search by email, phone number"),
        ("4242 13/29", "Search by email, phone number"),
        ("x" * 300, "That is too long to be an identifier"),
    ],
)
def test_it_explains_input_it_cannot_search_by(
    customer: Customer, agent_client: Client, query: str, message: str
) -> None:
    response = search(agent_client, query)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_it_records_who_searched_and_how_but_not_the_term(
    customer: Customer, agent_client: Client, support_agent: object
) -> None:
    search(agent_client, "alice.work@example.org")
    event = AuditEvent.objects.get(action=AuditAction.CUSTOMER_SEARCHED)
    assert event.actor == support_agent
    assert event.user == customer.user
    assert event.data == {"kinds": ["email"], "matches": 1}
    assert "alice" not in str(event.data) and event.identifier == ""


@pytest.mark.parametrize(("language", "text"), [("fr", "Aucun client"), ("da", "Ingen kunde")])
def test_it_answers_in_the_staff_members_language(
    customer: Customer, agent_client: Client, support_agent: User, language: str, text: str
) -> None:
    support_agent.language = language
    support_agent.save(update_fields=["language"])
    page = search(agent_client, "nobody@example.com").content.decode()
    assert text in page


SEARCH_NASTY = [
    "\x00",
    "alice@example.com\x00",
    "x" * 10_000,
    "sNaN",
    "1e999999999",
    "-1",
    "0x10",
    "\uff12\uff11\uff12\uff15\uff15\uff15\uff10\uff11\uff14\uff17",  # full-width digits
    "99999999999999999999999",
    "4242 99/9999",
    "\u202e@\u202e",
    "' OR 1=1 --",
    "%",
    "_",
]


@pytest.mark.parametrize("query", SEARCH_NASTY, ids=lambda query: repr(query[:12]))
def test_it_answers_any_search_with_results_or_a_message_never_a_500(
    customer: Customer, agent_client: Client, query: str
) -> None:
    response = search(agent_client, query)

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        outcome = response.context["outcome"]
        assert outcome is not None and (outcome.error or outcome.matches is not None)


def test_it_says_a_nul_byte_cannot_be_searched_for_not_that_it_is_too_long(
    customer: Customer, agent_client: Client, support_agent: User
) -> None:
    support_agent.language = "fr"
    support_agent.save(update_fields=["language"])

    page = search(agent_client, "alice@example.com\x00").content.decode()

    assert "Le caractère nul n\u2019est pas autorisé." in page
    assert "trop long" not in page
