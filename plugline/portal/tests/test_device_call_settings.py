"""A device's "Calls" page: ring time, do not disturb and forwarding, checked (US and Canada
only, never the device's own number), saved with an audit entry, errors in the subscriber's
language with what they typed kept, only for the device's owner."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import Subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.models import Device
from plugline.telephony.models import CallSettings

ALL_OFF = {
    "ring_seconds": "25",
    "forward_to": "",
}


def page_of(device: Device) -> str:
    return f"/devices/{device.serial}/call-settings/"


def saved(device: Device) -> CallSettings | None:
    return CallSettings.objects.filter(device=device).first()


def test_it_shows_the_defaults_before_anything_is_saved(alice: Subscriber, client: Client):
    client.force_login(alice.user)

    page = client.get(page_of(alice.devices[0])).content.decode()

    assert 'name="ring_seconds" value="25"' in page
    assert "Do not disturb" in page and "Forward every call" in page
    assert saved(alice.devices[0]) is None


def test_the_device_page_links_to_its_call_settings(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    device = alice.devices[0]

    page = client.get(f"/devices/{device.serial}/").content.decode()

    assert f'href="{page_of(device)}"' in page


@pytest.mark.parametrize("typed", ["(416) 555-0100", "416-555-0100", "+1 416 555 0100"])
def test_it_saves_forwarding_to_a_canadian_number_typed_in_any_format_and_audits_it(
    alice: Subscriber, client: Client, typed: str
):
    client.force_login(alice.user)
    device = alice.devices[0]

    response = client.post(
        page_of(device),
        {
            "ring_seconds": "30",
            "forward_busy": "on",
            "forward_no_answer": "on",
            "forward_to": typed,
        },
    )

    assert response.status_code == 302
    settings = saved(device)
    assert settings is not None
    assert (settings.ring_seconds, settings.forward_to) == (30, "+14165550100")
    assert (settings.forward_busy, settings.forward_no_answer) == (True, True)
    assert (settings.forward_always, settings.forward_unreachable) == (False, False)
    assert "apply from the next call" in client.get(response["Location"]).content.decode()
    event = AuditEvent.objects.get(action=AuditAction.CALL_SETTINGS_CHANGED, user=alice.user)
    assert event.data["changed"]["forward_to"] == "+14165550100"


def test_it_turns_do_not_disturb_on_and_off(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    device = alice.devices[0]

    client.post(page_of(device), ALL_OFF | {"do_not_disturb": "on"})
    assert saved(device).do_not_disturb is True  # type: ignore[union-attr]

    client.post(page_of(device), ALL_OFF)
    assert saved(device).do_not_disturb is False  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action=AuditAction.CALL_SETTINGS_CHANGED).count() == 2


def test_saving_the_same_choice_again_changes_nothing_and_audits_nothing(
    alice: Subscriber, client: Client
):
    client.force_login(alice.user)
    device = alice.devices[0]
    client.post(page_of(device), ALL_OFF | {"do_not_disturb": "on"})

    response = client.post(page_of(device), ALL_OFF | {"do_not_disturb": "on"}, follow=True)

    assert "Nothing changed." in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.CALL_SETTINGS_CHANGED).count() == 1


@pytest.mark.parametrize(
    ("language", "posted", "error"),
    [
        (
            "en",
            {"forward_always": "on", "forward_to": "+44 20 7946 0958"},
            "Calls can be forwarded only to numbers in the United States and Canada.",
        ),
        (
            "fr",
            {"forward_always": "on", "forward_to": "+44 20 7946 0958"},
            "Les appels ne peuvent être renvoyés que vers des numéros des États-Unis et du Canada.",
        ),
        (
            "da",
            {"forward_always": "on", "forward_to": "+1 876 555 0100"},
            "Opkald kan kun viderestilles til numre i USA og Canada.",
        ),
        (
            "en",
            {"forward_always": "on", "forward_to": "(212) 555-0147"},
            "Calls cannot be forwarded to this device&#x27;s own number.",
        ),
        (
            "fr",
            {"forward_busy": "on", "forward_to": ""},
            "Saisissez le numéro vers lequel renvoyer les appels.",
        ),
        ("en", {"forward_to": "not a number"}, "Type a phone number, such as (212) 555-0147."),
        ("da", {"ring_seconds": "10"}, "Vælg en ringetid fra 15 til 40 sekunder."),
        ("fr", {"ring_seconds": "41"}, "Choisissez une durée de sonnerie de 15 à 40 secondes."),
    ],
)
def test_bad_input_is_explained_in_the_subscribers_language_with_nothing_lost(
    alice: Subscriber, client: Client, language: str, posted: dict[str, str], error: str
):
    alice.user.language = language
    alice.user.save(update_fields=["language"])
    client.force_login(alice.user)
    device = alice.devices[0]

    response = client.post(page_of(device), ALL_OFF | posted)

    page = response.content.decode()
    assert response.status_code == 200
    assert error in page
    if posted.get("forward_to"):
        assert f'value="{posted["forward_to"]}"' in page
    assert saved(device) is None


def test_a_suspended_line_keeps_the_settings_saved_for_it(alice: Subscriber, client: Client):
    from django.utils import timezone

    device = alice.devices[0]
    Device.objects.filter(pk=device.pk).update(suspended_at=timezone.now())
    client.force_login(alice.user)

    page = client.get(page_of(device)).content.decode()
    response = client.post(page_of(device), ALL_OFF | {"do_not_disturb": "on"})

    assert "This line is suspended" in page
    assert response.status_code == 302
    assert saved(device).do_not_disturb is True  # type: ignore[union-attr]


def test_another_subscriber_cannot_see_or_change_a_devices_call_settings(
    alice: Subscriber, bob: Subscriber, client: Client
):
    client.force_login(bob.user)
    device = alice.devices[0]

    assert client.get(page_of(device)).status_code == 404
    assert client.post(page_of(device), ALL_OFF | {"do_not_disturb": "on"}).status_code == 404
    assert saved(device) is None
