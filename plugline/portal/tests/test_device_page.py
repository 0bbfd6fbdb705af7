"""A device's page: only its owner sees it; nickname, E911 address, release."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.accounts.models import User
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.models import Device, DeviceStatus
from plugline.devices.services import device_suspend
from plugline.telephony.models import NumberStatus, PhoneNumber

E911_US = {
    "e911-country": "US",
    "e911-street_address": "350  Fifth Avenue",
    "e911-street_address_2": "Floor 3",
    "e911-city": "New York",
    "e911-country_area": "new york",
    "e911-postal_code": "10118",
}
E911_BAD_CA = {
    "e911-country": "CA",
    "e911-street_address": "1000 rue Sherbrooke Ouest",
    "e911-street_address_2": "",
    "e911-city": "Montréal",
    "e911-country_area": "QC",
    "e911-postal_code": "H3A 3G",
}


def page_of(device: Device) -> str:
    return f"/devices/{device.serial}/"


def in_inventory(e164: str) -> PhoneNumber:
    return PhoneNumber.objects.create(
        e164=e164, country="US", area_code=e164[2:5], city="New York", status="assigned"
    )


def test_it_shows_the_devices_number_status_model_and_serial(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    page = client.get(page_of(alice.devices[0])).content.decode()
    assert "(212) 555-0147" in page
    assert "Active" in page
    assert "Plugline USB" in page
    assert "devices/plugline-usb.svg" in page
    assert alice.devices[0].serial in page
    assert "emergency services" in page  # what E911 is, said in words


def test_my_account_links_each_device_to_its_page(bob: Subscriber, client: Client):
    client.force_login(bob.user)
    home = client.get("/").content.decode()
    for device in bob.devices:
        assert f'href="{page_of(device)}"' in home


@pytest.mark.parametrize("suffix", ["", "nickname/", "e911/", "release/"])
def test_someone_elses_device_is_not_found(
    alice: Subscriber, bob: Subscriber, client: Client, suffix: str
):
    client.force_login(bob.user)
    url = page_of(alice.devices[0]) + suffix
    assert client.get(url).status_code in (404, 405)
    response = client.post(url, {"nickname": "Mine now", "password": bob.password, **E911_US})
    assert response.status_code == 404
    device = Device.objects.get(pk=alice.devices[0].pk)
    assert (device.owner_id, device.nickname, device.e911_street_address) == (
        alice.user.pk,
        "",
        "",
    )


def test_an_unknown_serial_is_not_found_either(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    assert client.get("/devices/NOSUCHSERIAL/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(alice: Subscriber, client: Client):
    response = client.get(page_of(alice.devices[0]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/devices/")


def test_it_saves_the_nickname_and_shows_it_on_my_account(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    device = alice.devices[0]
    response = client.post(page_of(device) + "nickname/", {"nickname": "  Kitchen   phone "})
    assert response.status_code == 302
    assert Device.objects.get(pk=device.pk).nickname == "Kitchen phone"
    assert "Kitchen phone" in client.get("/").content.decode()
    event = AuditEvent.objects.get(action=AuditAction.DEVICE_RENAMED)
    assert (event.user_id, event.data) == (alice.user.pk, {"serial": device.serial})


def test_a_nickname_too_long_is_refused_and_kept_in_the_field(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    long_name = "K" * 61
    page = client.post(page_of(alice.devices[0]) + "nickname/", {"nickname": long_name})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Keep the nickname to 60 characters or fewer." in text
    assert f'value="{long_name}"' in text
    assert Device.objects.get(pk=alice.devices[0].pk).nickname == ""


def test_it_saves_the_e911_address_normalised_and_audits_it(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    device = alice.devices[0]
    response = client.post(page_of(device) + "e911/", E911_US)
    assert response.status_code == 302
    assert Device.objects.get(pk=device.pk).e911_address == {
        "street_address": "350 Fifth Avenue",
        "street_address_2": "Floor 3",
        "city": "New York",
        "country_area": "NY",
        "postal_code": "10118",
        "country": "US",
    }
    page = client.get(page_of(device)).content.decode()
    assert "The E911 address is saved." in page
    assert 'value="350 Fifth Avenue"' in page
    event = AuditEvent.objects.get(action=AuditAction.E911_ADDRESS_CHANGED)
    # The audit log names the device, not where the subscriber lives.
    assert event.data == {"serial": device.serial}


def test_an_empty_e911_address_is_refused(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    page = client.post(page_of(alice.devices[0]) + "e911/", {}).content.decode()
    assert "Choose a country." in page
    assert not AuditEvent.objects.filter(action=AuditAction.E911_ADDRESS_CHANGED).exists()


@pytest.mark.parametrize(
    ("language", "error"),
    [
        ("fr", "Saisissez un code postal canadien de 6 lettres et chiffres, par exemple H3Z 2Y7."),
        ("da", "Indtast et canadisk postnummer på 6 bogstaver og cifre, f.eks. H3Z 2Y7."),
    ],
)
def test_a_bad_e911_address_is_explained_in_the_subscribers_language_with_nothing_lost(
    alice: Subscriber, client: Client, language: str, error: str
):
    alice.user.language = language
    alice.user.save(update_fields=["language"])
    client.force_login(alice.user)
    device = alice.devices[0]
    response = client.post(page_of(device) + "e911/", E911_BAD_CA)
    assert response.status_code == 200
    page = response.content.decode()
    assert error in page
    # Tied to its field, and everything typed is still there.
    assert 'aria-describedby="id_e911-postal_code_error"' in page
    assert 'id="id_e911-postal_code_error"' in page
    for value in ("1000 rue Sherbrooke Ouest", "Montréal", "QC", "H3A 3G"):
        assert f'value="{value}"' in page
    assert Device.objects.get(pk=device.pk).e911_address["street_address"] == ""


def test_releasing_with_the_number_given_up_quarantines_it_and_wipes_the_device(
    alice: Subscriber, client: Client, settings
):
    settings.NUMBER_QUARANTINE_DAYS = 90
    number = in_inventory("+12125550147")
    device = alice.devices[0]
    client.force_login(alice.user)
    client.post(page_of(device) + "nickname/", {"nickname": "Kitchen"})
    client.post(page_of(device) + "e911/", E911_US)

    confirm = client.get(page_of(device) + "release/").content.decode()
    assert "Keep the number with the device for its next owner" in confirm
    assert "Give up the number" in confirm
    assert "voicemail" in confirm
    response = client.post(
        page_of(device) + "release/", {"number": "give_up", "password": alice.password}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"

    released = Device.objects.get(pk=device.pk)
    assert (released.owner_id, released.status, released.phone_number) == (
        None,
        DeviceStatus.RELEASED,
        None,
    )
    assert (released.nickname, set(released.e911_address.values())) == ("", {""})
    number.refresh_from_db()
    assert number.status == NumberStatus.QUARANTINED
    assert number.quarantined_until is not None
    assert abs(number.quarantined_until - (timezone.now() + timedelta(days=90))) < timedelta(
        minutes=1
    )
    home = client.get("/").content.decode()
    assert f"The device {device.serial} has left your account." in home
    assert "There is no device on your account yet." in home
    assert client.get(page_of(device)).status_code == 404
    event = AuditEvent.objects.get(action=AuditAction.DEVICE_RELEASED)
    assert (event.user_id, event.data) == (
        alice.user.pk,
        {"serial": device.serial, "number_kept": False},
    )


def test_releasing_with_the_number_kept_leaves_it_on_the_device(alice: Subscriber, client: Client):
    number = in_inventory("+12125550147")
    device = alice.devices[0]
    client.force_login(alice.user)
    client.post(page_of(device) + "release/", {"number": "keep", "password": alice.password})

    released = Device.objects.get(pk=device.pk)
    assert (released.owner_id, released.phone_number) == (None, "+12125550147")
    number.refresh_from_db()
    assert (number.status, number.quarantined_until) == (NumberStatus.ASSIGNED, None)
    # The device is gone from the old owner's pages.
    assert client.get(page_of(device)).status_code == 404


def test_release_needs_the_password_and_a_choice(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    device = alice.devices[0]
    page = client.post(
        page_of(device) + "release/", {"number": "give_up", "password": "not it"}
    ).content.decode()
    assert "That is not your password." in page
    page = client.post(page_of(device) + "release/", {"password": alice.password}).content.decode()
    assert "Choose what becomes of the phone number." in page
    assert Device.objects.get(pk=device.pk).owner_id == alice.user.pk


def test_release_password_guesses_are_limited(alice: Subscriber, client: Client):
    client.force_login(alice.user)
    url = page_of(alice.devices[0]) + "release/"
    for _ in range(10):
        client.post(url, {"number": "give_up", "password": "guess"})
    response = client.post(url, {"number": "give_up", "password": alice.password})
    assert response.status_code == 429
    assert Device.objects.get(pk=alice.devices[0].pk).owner_id == alice.user.pk


def test_the_other_devices_stay_when_one_is_released(bob: Subscriber, client: Client):
    client.force_login(bob.user)
    first, second = bob.devices
    client.post(page_of(first) + "release/", {"number": "give_up", "password": bob.password})
    home = client.get("/").content.decode()
    assert f'href="{page_of(first)}"' not in home
    assert f'href="{page_of(second)}"' in home
    assert Device.objects.get(pk=second.pk).owner_id == bob.user.pk


def test_a_suspended_device_says_its_line_is_suspended_and_whom_to_ask(
    alice: Subscriber, staff: User, client: Client
):
    device = alice.devices[0]
    client.force_login(alice.user)
    before = client.get(f"/devices/{device.serial}/").content.decode()
    device_suspend(device=device, reason="Chargeback 5521", actor=staff)

    page = client.get(f"/devices/{device.serial}/").content.decode()

    assert "This line is suspended" not in before
    assert "This line is suspended" in page
    assert "can neither make nor receive calls" in page
    assert "contact Plugline support" in page
    # The reason is staff's note for the audit log, not a message to the subscriber.
    assert "Chargeback" not in page


@pytest.mark.parametrize(
    ("language", "heading"),
    [("fr", "Cette ligne est suspendue"), ("da", "Denne linje er suspenderet")],
)
def test_the_suspension_notice_speaks_french_and_danish(
    alice: Subscriber, staff: User, client: Client, language: str, heading: str
):
    device = alice.devices[0]
    device_suspend(device=device, reason="x", actor=staff)
    alice.user.language = language
    alice.user.save()
    client.force_login(alice.user)

    page = client.get(f"/devices/{device.serial}/").content.decode()

    assert heading in page
