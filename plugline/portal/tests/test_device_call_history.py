"""A device's page shows its call history: newest first, paged, missed calls marked."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber
from plugline.devices.models import Device
from plugline.telephony.callrecords import HISTORY_PAGE_SIZE
from plugline.telephony.models import CallOutcome
from plugline.telephony.tests.call_factory import call


def page_of(device: Device, query: str = "") -> str:
    return f"/devices/{device.serial}/{query}"


def test_it_shows_the_devices_calls_newest_first_with_missed_calls_marked(
    alice: Subscriber, client: Client
):
    device = alice.devices[0]
    call(3, caller_device=device, callee="+13125550199")
    call(1, callee_device=device, caller="+14165550148", outcome=CallOutcome.NO_ANSWER)
    call(2, callee_device=device, caller="+16175550100", duration=1)
    client.force_login(alice.user)

    page = client.get(page_of(device)).content.decode()

    missed = page.index("Missed call")
    assert page.index("from (416) 555-0148") > missed
    assert missed < page.index("Incoming call") < page.index("from (617) 555-0100")
    assert page.index("from (617) 555-0100") < page.index("Outgoing call")
    assert page.index("Outgoing call") < page.index("to (312) 555-0199")
    assert "1 second" in page
    assert "65 seconds" in page
    assert page.count("Missed call") == 1


def test_it_says_when_there_is_no_call_yet(alice: Subscriber, client: Client):
    client.force_login(alice.user)

    page = client.get(page_of(alice.devices[0])).content.decode()

    assert "Call history" in page
    assert "No calls yet." in page


def test_it_shows_another_accounts_calls_to_nobody(
    alice: Subscriber, bob: Subscriber, client: Client
):
    call(1, caller_device=bob.devices[0], caller="+13105550100", callee="+18005550123")
    client.force_login(alice.user)

    page = client.get(page_of(alice.devices[0])).content.decode()

    assert "(800) 555-0123" not in page
    assert client.get(page_of(bob.devices[0])).status_code == 404


def test_it_pages_a_long_history(alice: Subscriber, client: Client):
    device = alice.devices[0]
    for number in range(HISTORY_PAGE_SIZE + 5):
        call(number, caller_device=device, callee=f"+1312555{number:04d}")
    client.force_login(alice.user)

    first = client.get(page_of(device)).content.decode()
    second = client.get(page_of(device, "?calls=2")).content.decode()

    assert "to (312) 555-0000" in first
    assert f"to (312) 555-{HISTORY_PAGE_SIZE - 1:04d}" in first
    assert f"to (312) 555-{HISTORY_PAGE_SIZE:04d}" not in first
    assert "Page 1 of 2" in first
    assert 'href="?calls=2#calls"' in first
    assert f"to (312) 555-{HISTORY_PAGE_SIZE + 4:04d}" in second
    assert "to (312) 555-0000" not in second
    assert 'href="?calls=1#calls"' in second


def queries_for_page(client: Client, device: Device) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_of(device)).status_code == 200
    return len(queries)


def test_its_page_takes_as_many_queries_with_50_calls_as_with_1(alice: Subscriber, client: Client):
    device = alice.devices[0]
    client.force_login(alice.user)
    client.get(page_of(device))  # the session's first request saves it
    call(0, caller_device=device)
    with_one = queries_for_page(client, device)
    for number in range(1, 50):
        call(number, callee_device=device, caller=f"+1312555{number:04d}")

    assert queries_for_page(client, device) == with_one


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", ("Historique des appels", "Appel manqué", "de (416) 555-0148")),
        ("da", ("Opkaldshistorik", "Ubesvaret opkald", "fra (416) 555-0148")),
    ],
)
def test_it_shows_the_call_history_in_french_and_danish(
    alice: Subscriber, client: Client, language: str, words: tuple[str, ...]
):
    device = alice.devices[0]
    call(1, callee_device=device, caller="+14165550148", outcome=CallOutcome.NO_ANSWER)
    alice.user.language = language
    alice.user.save()
    client.force_login(alice.user)

    page = client.get(page_of(device)).content.decode()

    for word in words:
        assert word in page
