"""A device's page shows its call history: newest first, paged, missed calls marked."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.models import Device
from plugline.telephony.callrecords import HISTORY_PAGE_SIZE
from plugline.telephony.models import BlockedCaller, CallOutcome
from plugline.telephony.services import blocked_caller_add
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
    blocked_caller_add(device_id=device.pk, owner=alice.user, text="1-900")
    call(0, caller_device=device)
    with_one = queries_for_page(client, device)
    for number in range(1, 50):
        # Calls to block, calls blocked, callers blocked already, hidden numbers.
        caller = ("", f"+1312555{number:04d}", f"+1900555{number:04d}")[number % 3]
        outcome = CallOutcome.BLOCKED if number % 2 else CallOutcome.NO_ANSWER
        call(number, callee_device=device, caller=caller, outcome=outcome)

    page = client.get(page_of(device)).content.decode()
    assert page.count("Block this number") == HISTORY_PAGE_SIZE // 3 + 1
    assert queries_for_page(client, device) == with_one


def history_of(page: str) -> str:
    """The call history's section of a device's page."""
    start = page.index('id="calls"')
    return page[start : page.index("</section>", start)]


def block_buttons(page: str) -> list[str]:
    return re.findall(r'action="([^"]*/block/)"', page)


def test_it_marks_blocked_calls_as_blocked_not_missed(alice: Subscriber, client: Client):
    device = alice.devices[0]
    call(1, callee_device=device, caller="+13105550123", outcome=CallOutcome.BLOCKED)
    client.force_login(alice.user)

    history = history_of(client.get(page_of(device)).content.decode())

    assert "Blocked call" in history
    assert "from (310) 555-0123" in history
    assert "Missed call" not in history


def test_it_blocks_the_number_of_an_incoming_call_from_the_history(
    alice: Subscriber, client: Client
):
    device = alice.devices[0]
    for number in range(HISTORY_PAGE_SIZE):
        call(number + 1, caller_device=device, callee=f"+1312555{number:04d}")
    record = call(HISTORY_PAGE_SIZE + 1, callee_device=device, caller="+13105550123")
    client.force_login(alice.user)
    second = client.get(page_of(device, "?calls=2")).content.decode()
    [action] = block_buttons(second)
    assert action == f"/devices/{device.serial}/calls/{record.pk}/block/"
    assert '<span class="visually-hidden"> (310) 555-0123</span>' in second

    response = client.post(action, {"calls": "2"})

    assert response.status_code == 302
    assert response["Location"] == page_of(device, "?calls=2#calls")
    assert list(BlockedCaller.objects.filter(device=device).values_list("e164", "is_prefix")) == [
        ("+13105550123", False)
    ]
    assert AuditEvent.objects.filter(
        action=AuditAction.BLOCKED_CALLERS_CHANGED, user=alice.user
    ).exists()
    page = client.get(response["Location"]).content.decode()
    assert "(310) 555-0123 is blocked: its calls to this device are declined." in page
    assert block_buttons(page) == []
    assert '<span class="badge neutral">Blocked</span>' in page


def test_a_number_a_prefix_blocks_already_shows_blocked_without_a_button(
    alice: Subscriber, client: Client
):
    device = alice.devices[0]
    blocked_caller_add(device_id=device.pk, owner=alice.user, text="1-900")
    call(1, callee_device=device, caller="+19005550123", outcome=CallOutcome.BLOCKED)
    call(2, callee_device=device, caller="+13105550123")
    client.force_login(alice.user)

    page = client.get(page_of(device)).content.decode()

    assert page.count('<span class="badge neutral">Blocked</span>') == 1
    assert len(block_buttons(page)) == 1


def test_it_offers_no_block_for_outgoing_calls_or_hidden_numbers(alice: Subscriber, client: Client):
    device = alice.devices[0]
    outgoing = call(1, caller_device=device, callee="+13105550123")
    hidden = call(2, callee_device=device, caller="anonymous")
    client.force_login(alice.user)

    page = client.get(page_of(device)).content.decode()

    assert block_buttons(page) == []
    assert "from a hidden number" in page
    for record in (outgoing, hidden):
        response = client.post(f"/devices/{device.serial}/calls/{record.pk}/block/")
        assert response.status_code == 404
    assert not BlockedCaller.objects.exists()


def test_a_caller_that_is_not_a_whole_number_is_never_blocked_as_a_prefix(
    alice: Subscriber, client: Client
):
    device = alice.devices[0]
    # Nine digits as the carrier sent them: a prefix of ten numbers, not a number.
    short = call(1, callee_device=device, caller="+12125550")
    client.force_login(alice.user)

    page = client.get(page_of(device)).content.decode()
    response = client.post(f"/devices/{device.serial}/calls/{short.pk}/block/")

    assert block_buttons(page) == []
    assert "from a hidden number" not in page
    assert response.status_code == 404
    assert not BlockedCaller.objects.exists()


def test_nobody_blocks_a_number_from_another_devices_history(
    alice: Subscriber, bob: Subscriber, client: Client
):
    bobs = call(1, callee_device=bob.devices[0], caller="+13105550123")
    client.force_login(alice.user)

    # Bob's call through Alice's device, and Bob's device itself.
    mine = client.post(f"/devices/{alice.devices[0].serial}/calls/{bobs.pk}/block/")
    theirs = client.post(f"/devices/{bob.devices[0].serial}/calls/{bobs.pk}/block/")

    assert (mine.status_code, theirs.status_code) == (404, 404)
    assert not BlockedCaller.objects.exists()


def test_block_this_number_needs_a_post_with_the_csrf_token(alice: Subscriber):
    device = alice.devices[0]
    record = call(1, callee_device=device, caller="+13105550123")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    url = f"/devices/{device.serial}/calls/{record.pk}/block/"

    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert not BlockedCaller.objects.exists()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "fr",
            (
                "Historique des appels",
                "Appel manqué",
                "de (416) 555-0148",
                "Appel bloqué",
                "Bloquer ce numéro",
                "un numéro masqué",
            ),
        ),
        (
            "da",
            (
                "Opkaldshistorik",
                "Ubesvaret opkald",
                "fra (416) 555-0148",
                "Blokeret opkald",
                "Bloker dette nummer",
                "fra et skjult nummer",
            ),
        ),
    ],
)
def test_it_shows_the_call_history_in_french_and_danish(
    alice: Subscriber, client: Client, language: str, words: tuple[str, ...]
):
    device = alice.devices[0]
    call(1, callee_device=device, caller="+14165550148", outcome=CallOutcome.NO_ANSWER)
    call(2, callee_device=device, caller="+13105550123", outcome=CallOutcome.BLOCKED)
    call(3, callee_device=device, caller="")
    alice.user.language = language
    alice.user.save()
    client.force_login(alice.user)

    page = client.get(page_of(device)).content.decode()

    for word in words:
        assert word in page


def test_it_shows_where_the_device_forwarded_a_call_and_a_call_voicemail_took_as_missed(
    alice: Subscriber, client: Client
):
    device = alice.devices[0]
    forwarded = call(1, callee_device=device, caller="+16175550100", outcome=CallOutcome.FORWARDED)
    forwarded.forwarded_to = "+14165550100"
    forwarded.save(update_fields=["forwarded_to"])
    call(2, callee_device=device, caller="+13125550199", outcome=CallOutcome.VOICEMAIL)
    client.force_login(alice.user)

    page = client.get(page_of(device)).content.decode()

    assert re.search(r"Forwarded\s*<span class=\"number\">to \(416\) 555-0100</span>", page)
    missed = page.index("Missed call")
    assert missed < page.index("from (312) 555-0199") < page.index("To voicemail")
