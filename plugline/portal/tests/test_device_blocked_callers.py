"""A device's blocked callers on its page: numbers in any format and prefixes, the switch for
anonymous callers, only for the device's owner, errors in the subscriber's language."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.models import Device
from plugline.telephony.models import BlockedCaller, CallScreening
from plugline.telephony.services import blocked_caller_add


def page_of(device: Device) -> str:
    return f"/devices/{device.serial}/"


def blocked(device: Device) -> list[tuple[str, bool]]:
    return list(
        BlockedCaller.objects.filter(device=device)
        .order_by("e164")
        .values_list("e164", "is_prefix")
    )


@pytest.mark.parametrize(
    "typed", ["(310) 555-0123", "310-555-0123", "3105550123", "+1 310 555 0123", "1.310.555.0123"]
)
def test_it_blocks_a_number_typed_in_any_format_and_audits_it(
    alice: Subscriber, client: Client, typed: str
):
    client.force_login(alice.user)
    device = alice.devices[0]

    response = client.post(page_of(device) + "blocked-callers/", {"block-number": typed})

    assert response.status_code == 302
    assert blocked(device) == [("+13105550123", False)]
    page = client.get(response["Location"]).content.decode()
    assert "(310) 555-0123 is blocked" in page
    assert "Unblock" in page
    assert AuditEvent.objects.filter(
        action=AuditAction.BLOCKED_CALLERS_CHANGED, user=alice.user
    ).exists()


@pytest.mark.parametrize("typed", ["+1900", "1-900", "1 900", "900"])
def test_it_blocks_every_number_starting_with_a_prefix(
    alice: Subscriber, client: Client, typed: str
):
    client.force_login(alice.user)
    device = alice.devices[0]

    client.post(page_of(device) + "blocked-callers/", {"block-number": typed})

    assert blocked(device) == [("+1900", True)]
    assert "Every number starting with +1900" in client.get(page_of(device)).content.decode()


def test_blocking_the_same_number_twice_keeps_one_entry(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    device = alice.devices[0]
    client.post(page_of(device) + "blocked-callers/", {"block-number": "3105550123"})

    response = client.post(
        page_of(device) + "blocked-callers/", {"block-number": "(310) 555-0123"}, follow=True
    )

    assert blocked(device) == [("+13105550123", False)]
    assert "(310) 555-0123 was already blocked." in response.content.decode()


@pytest.mark.parametrize(
    ("language", "typed", "error"),
    [
        (
            "fr",
            "call me maybe",
            "Saisissez un numéro de téléphone, par exemple (212) 555-0147, ou le début des "
            "numéros à bloquer, par exemple 1-900.",
        ),
        ("da", "+1", "Indtast mindst 3 cifre, landekoden medregnet"),
        ("fr", "", "Saisissez le numéro ou le préfixe à bloquer."),
    ],
)
def test_bad_input_is_explained_in_the_subscribers_language_with_nothing_lost(
    alice: Subscriber, client: Client, language: str, typed: str, error: str
):
    alice.user.language = language
    alice.user.save(update_fields=["language"])
    client.force_login(alice.user)
    device = alice.devices[0]
    blocked_caller_add(device_id=device.pk, owner=alice.user, text="3105550123")

    response = client.post(page_of(device) + "blocked-callers/", {"block-number": typed})

    assert response.status_code == 200
    page = response.content.decode()
    assert error in page
    assert 'id="id_block-number_error"' in page
    if typed:
        assert f'value="{typed}"' in page
    # What was saved before is still there and still shown.
    assert blocked(device) == [("+13105550123", False)]
    assert "(310) 555-0123" in page


def test_it_unblocks_an_entry(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    device = alice.devices[0]
    blocked_caller_add(device_id=device.pk, owner=alice.user, text="3105550123")
    entry = BlockedCaller.objects.get(device=device)

    response = client.post(page_of(device) + f"blocked-callers/{entry.pk}/remove/", follow=True)

    assert blocked(device) == []
    assert "Unblocked" in response.content.decode()


def test_the_anonymous_switch_is_saved_shown_and_audited(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    device = alice.devices[0]

    on = client.post(
        page_of(device) + "anonymous-callers/", {"anonymous-refuse_anonymous": "on"}, follow=True
    )
    assert CallScreening.objects.get(device=device).refuse_anonymous
    assert "Callers who hide their number are now declined." in on.content.decode()
    assert 'id="id_anonymous-refuse_anonymous" aria-describedby' in on.content.decode()
    assert "checked" in on.content.decode().split('id="id_anonymous-refuse_anonymous"')[1][:80]

    client.post(page_of(device) + "anonymous-callers/", {})
    assert not CallScreening.objects.get(device=device).refuse_anonymous
    assert AuditEvent.objects.filter(action=AuditAction.BLOCKED_CALLERS_CHANGED).count() == 2


def test_someone_else_cannot_see_or_change_a_devices_blocked_callers(
    alice: Subscriber, bob: Subscriber, client: Client
):
    device = alice.devices[0]
    blocked_caller_add(device_id=device.pk, owner=alice.user, text="3105550123")
    entry = BlockedCaller.objects.get(device=device)
    client.force_login(bob.user)

    assert (
        client.post(page_of(device) + "blocked-callers/", {"block-number": "1900"}).status_code
        == 404
    )
    assert client.post(page_of(device) + f"blocked-callers/{entry.pk}/remove/").status_code == 404
    assert (
        client.post(
            page_of(device) + "anonymous-callers/", {"anonymous-refuse_anonymous": "on"}
        ).status_code
        == 404
    )
    # Through his own device, Bob's request cannot reach Alice's entry either.
    client.post(page_of(bob.devices[0]) + f"blocked-callers/{entry.pk}/remove/")

    assert blocked(device) == [("+13105550123", False)]
    assert not CallScreening.objects.filter(device=device).exists()


def test_the_device_page_takes_as_many_queries_with_many_blocked_callers(
    alice: Subscriber, client: Client, django_assert_max_num_queries
):
    client.force_login(alice.user)
    device = alice.devices[0]
    blocked_caller_add(device_id=device.pk, owner=alice.user, text="3105550100")
    with CaptureQueriesContext(connection) as one:
        client.get(page_of(device))
    for n in range(1, 30):
        blocked_caller_add(device_id=device.pk, owner=alice.user, text=f"31055501{n:02d}")

    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(page_of(device)).content.decode()
    assert page.count("Unblock") >= 30
