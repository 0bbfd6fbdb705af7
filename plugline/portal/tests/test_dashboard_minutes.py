""" "My account" shows the international balance and the last international calls with their
cost, links to buying minutes, and shows a new balance at once although the page is kept."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.accounts.models import User
from plugline.billing.tests.factories import card_on_file, sandbox_reset
from plugline.minutes.models import MinutesEntry, MinutesEntryKind
from plugline.minutes.services import minutes_adjustment_add
from plugline.telephony.models import CallOutcome, CallRecord

pytestmark = pytest.mark.django_db


def my_account(client: Client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_balance_and_links_to_buying_minutes(client: Client, alice: Subscriber):
    client.force_login(alice.user)
    page = my_account(client)
    assert "International minutes" in page
    assert "$0.00" in page
    assert 'href="/account/minutes/"' in page
    assert "No international call yet." in page


def test_it_shows_a_new_balance_at_once_though_the_page_is_kept(
    client: Client, alice: Subscriber, staff: User
):
    client.force_login(alice.user)
    assert "$0.00" in my_account(client)
    minutes_adjustment_add(staff=staff, user=alice.user, amount=750, reason="goodwill")
    assert "$7.50" in my_account(client)


def test_it_shows_a_top_up_paid_by_card_at_once(client: Client, alice: Subscriber):
    sandbox_reset()
    card_on_file(alice.user)
    client.force_login(alice.user)
    assert "$0.00" in my_account(client)
    page = client.get("/account/minutes/").content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    seen = re.search(r'name="last_seen" value="([^"]+)"', page)
    card = re.search(r'name="card" value="([^"]+)"[^>]*checked', page)
    assert key and seen and card
    client.post(
        "/account/minutes/",
        {"idempotency_key": key[1], "last_seen": seen[1], "card": card[1], "amount": "500"},
    )
    assert "$5.00" in my_account(client)


def test_it_lists_the_last_international_calls_with_number_time_and_cost(
    client: Client, alice: Subscriber
):
    record = CallRecord.objects.create(
        call_id="abroad-1",
        caller="+12125550147",
        callee="+33142685300",
        caller_device=alice.devices[0],
        started_at=timezone.now(),
        duration_seconds=125,
        outcome=CallOutcome.ANSWERED,
        sip_code="200",
    )
    MinutesEntry.objects.create(
        user=alice.user,
        kind=MinutesEntryKind.CALL_CHARGE,
        amount=-42,
        currency="USD",
        call_record=record,
    )
    client.force_login(alice.user)
    page = my_account(client)
    assert "+33 1 42 68 53 00" in page
    assert "cost $0.42" in page
    assert "-$0.42" in page
