"""The hosted card page: what it refuses and says, what it keeps, what it never keeps."""

from __future__ import annotations

import re
import sys
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone
from django.views.debug import ExceptionReporter

from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.sandbox_gateway import services, views
from plugline.sandbox_gateway.cards import TEST_CARDS, luhn_valid
from plugline.sandbox_gateway.models import SandboxCard, SandboxCardSession, SessionStatus
from plugline.sandbox_gateway.tests.helpers import (
    RETURN_URL,
    card_page_post,
    card_saved,
    customer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway() -> SandboxGateway:
    return SandboxGateway()


@pytest.fixture
def page_url(gateway) -> str:
    return gateway.card_session_start(
        customer_id=customer(gateway), return_url=RETURN_URL, verify=False
    )


def test_it_knows_the_test_cards_as_valid_numbers():
    assert all(luhn_valid(number) for number in TEST_CARDS)
    assert not luhn_valid("4242424242424241")


def test_it_says_it_is_the_sandbox_and_lists_the_test_cards(page_url):
    page = Client().get(page_url).content.decode()
    assert "This is the sandbox payment gateway" in page
    for number in ("4242 4242 4242 4242", "4000 0000 0000 0002", "4000 0027 6000 3184"):
        assert number in page


def test_it_goes_back_to_the_return_url_with_the_session(page_url):
    response = card_page_post(Client(), page_url, "4242 4242 4242 4242")
    session_id = page_url.rstrip("/").rsplit("/", 1)[1]
    assert response["Location"] == f"{RETURN_URL}?session={session_id}"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"number": "4242 4242 4242 4241"}, "number", "This card number is not valid"),
        ({"number": "4242"}, "number", "Enter the card number: 13 to 19 digits"),
        ({"expiry": "01/20"}, "expiry", "This card has expired. Use another card."),
        ({"expiry": "13/30"}, "expiry", "Enter the expiry date as month and year"),
        ({"cvc": "12"}, "cvc", "Enter the security code: 3 or 4 digits."),
        ({"name": ""}, "name", "Enter the name on the card."),
    ],
)
def test_it_explains_what_is_wrong_and_keeps_what_was_typed_but_the_code(
    page_url, fields, field, message
):
    data = {"number": "4242 4242 4242 4242", **fields}
    response = card_page_post(Client(), page_url, **data)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert f'aria-describedby="id_{field}_error' in page
    assert 'value="Alice Archer"' in page or field == "name"
    assert 'name="cvc"' in page and 'value="123"' not in page
    assert not SandboxCard.objects.exists()


def test_it_closes_the_page_after_ten_refused_cards(page_url):
    client = Client()
    for _ in range(9):
        assert card_page_post(client, page_url, "4242424242424241").status_code == 200
    assert card_page_post(client, page_url, "4242424242424241").status_code == 404
    assert card_page_post(client, page_url, "4242424242424242").status_code == 404
    assert SandboxCardSession.objects.get().status == SessionStatus.FAILED
    assert not SandboxCard.objects.exists()


def test_it_takes_one_card_per_page(page_url):
    client = Client()
    assert card_page_post(client, page_url, "4242424242424242").status_code == 302
    assert client.get(page_url).status_code == 404
    assert card_page_post(client, page_url, "5555555555554444").status_code == 404
    assert SandboxCard.objects.count() == 1


def test_it_hides_the_number_and_code_from_error_reports(page_url, monkeypatch):
    def broken(prefix: str) -> str:
        raise RuntimeError("the sandbox broke")

    # Deep inside saving the card, with the number in the callers' variables.
    monkeypatch.setattr(services, "new_id", broken)
    request = RequestFactory().post(
        page_url,
        {"number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "987", "name": "A"},
    )
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
    session_id = page_url.rstrip("/").rsplit("/", 1)[1]
    try:
        views.card(request, session_id=session_id)
    except RuntimeError:
        exc_type, exc_value, traceback = sys.exc_info()
        report = ExceptionReporter(request, exc_type, exc_value, traceback, is_email=True)
    else:
        raise AssertionError("the view did not fail")
    text = report.get_traceback_text() + report.get_traceback_html()
    assert "the sandbox broke" in text
    for secret in ("4242424242424242", "4242 4242 4242 4242", "987"):
        # Not part of a longer number: object ids and hex addresses in the
        # report are digits too, and may contain the code by chance.
        assert not re.search(rf"(?<![0-9a-fA-Fx]){secret}(?![0-9a-fA-F])", text), secret


def all_stored_text() -> str:
    """Every row of every table, as text."""
    rows: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows.extend(str(row) for row in cursor.fetchall())
    return "\n".join(rows)


def test_it_stores_no_card_number_nor_code(gateway, caplog):
    cus = customer(gateway)
    for number in TEST_CARDS:
        spaced = " ".join(number[i : i + 4] for i in range(0, 16, 4))
        client = Client()
        card_saved(gateway, cus, spaced, client=client)
        # And refused, with the number typed back on the page.
        url = gateway.card_session_start(customer_id=cus, return_url=RETURN_URL, verify=True)
        card_page_post(client, url, number, cvc="7")
    assert SandboxCard.objects.count() == len(TEST_CARDS)
    stored = all_stored_text() + caplog.text
    for number in TEST_CARDS:
        assert number not in stored
        assert number[:12] not in stored


def test_it_closes_the_page_an_hour_after_it_opened(page_url):
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        response = card_page_post(Client(), page_url, "4242424242424242")
    assert response.status_code == 404
    assert "This page has expired" in response.content.decode()
    assert not SandboxCard.objects.exists()
