"""A device's page lists its voicemail (newest first: caller, time in the account's zone,
length, new or heard), plays and downloads each message from an owner-only view (which
marks it heard), deletes it after a confirmation, and sets the greeting and the email
switch. Another account's messages are "not found"."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from conftest import Subscriber
from plugline.devices.models import Device
from plugline.voicemail.models import Mailbox, VoicemailMessage
from plugline.voicemail.tests.phone import tone_wav

T0 = dt.datetime(2026, 3, 1, 14, 5, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def message(
    device: Device, *, caller: str = "+14165550148", at: dt.datetime = T0, heard: bool = False
) -> VoicemailMessage:
    made = VoicemailMessage(
        device=device, caller=caller, received_at=at, duration_seconds=7, heard=heard
    )
    made.audio.save("message.wav", ContentFile(tone_wav(1)), save=False)
    made.save()
    return made


def page_of(device: Device) -> str:
    return f"/devices/{device.serial}/"


def audio_of(made: VoicemailMessage, query: str = "") -> str:
    return f"/devices/{made.device.serial}/voicemail/{made.pk}/audio/{query}"


def delete_of(made: VoicemailMessage) -> str:
    return f"/devices/{made.device.serial}/voicemail/{made.pk}/delete/"


def test_it_lists_the_messages_newest_first_in_the_accounts_time_zone(
    alice: Subscriber, client: Client
):
    device = alice.devices[0]
    alice.user.time_zone = "America/New_York"
    alice.user.save()
    message(device, caller="+14165550148", at=T0)
    message(device, caller="+16175550100", at=T0 + dt.timedelta(hours=1), heard=True)
    message(device, caller="", at=T0 - dt.timedelta(days=1))
    client.force_login(alice.user)

    page = client.get(page_of(device)).content.decode()

    assert page.index("from (617) 555-0100") < page.index("from (416) 555-0148")
    assert page.index("from (416) 555-0148") < page.index("from a hidden number")
    assert "1 new" not in page and "2 new" in page
    # 14:05 UTC is 9:05 in New York on 1 March.
    assert "March 1, 2026, 9:05 a.m." in page
    assert "7 seconds" in page
    assert page.count("<audio controls") == 3


def test_it_plays_the_message_to_its_owner_and_marks_it_heard(alice: Subscriber, client: Client):
    made = message(alice.devices[0])
    client.force_login(alice.user)

    response = client.get(audio_of(made))

    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert not response.get("Content-Disposition", "").startswith("attachment")
    assert response.getvalue() == tone_wav(1)
    made.refresh_from_db()
    assert made.heard


def test_it_downloads_the_message_as_a_file(alice: Subscriber, client: Client):
    made = message(alice.devices[0])
    client.force_login(alice.user)

    response = client.get(audio_of(made, "?download=1"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert ".wav" in response["Content-Disposition"]
    made.refresh_from_db()
    assert made.heard


def test_it_shows_another_accounts_message_to_nobody(
    alice: Subscriber, bob: Subscriber, client: Client
):
    bobs = message(bob.devices[0])
    client.force_login(alice.user)

    # Through bob's device, and through alice's own device with bob's message id.
    assert client.get(audio_of(bobs)).status_code == 404
    assert client.get(delete_of(bobs)).status_code == 404
    assert client.post(delete_of(bobs)).status_code == 404
    own = f"/devices/{alice.devices[0].serial}/voicemail/{bobs.pk}"
    assert client.get(f"{own}/audio/").status_code == 404
    assert client.post(f"{own}/delete/").status_code == 404
    bobs.refresh_from_db()
    assert not bobs.heard
    assert "from (416) 555-0148" not in client.get(page_of(alice.devices[0])).content.decode()


def test_it_deletes_a_message_after_asking(
    alice: Subscriber, media: Path, django_capture_on_commit_callbacks
):
    made = message(alice.devices[0])
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)

    asked = client.get(delete_of(made))
    assert asked.status_code == 200
    assert "Delete the message" in asked.content.decode()
    assert VoicemailMessage.objects.filter(pk=made.pk).exists()
    assert client.post(delete_of(made)).status_code == 403  # no CSRF token
    token = asked.cookies["csrftoken"].value

    with django_capture_on_commit_callbacks(execute=True):
        deleted = client.post(delete_of(made), {"csrfmiddlewaretoken": token})

    assert deleted.status_code == 302
    assert deleted["Location"].endswith("#voicemail")
    assert not VoicemailMessage.objects.exists()
    assert not (media / made.audio.name).exists()


def upload(client: Client, device: Device, data: bytes, name: str = "greeting.wav"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(f"/devices/{device.serial}/voicemail/greeting/", {"greeting": file})


def test_it_sets_the_owners_own_greeting_and_back_to_the_standard_one(
    alice: Subscriber, client: Client, media: Path, django_capture_on_commit_callbacks
):
    device = alice.devices[0]
    client.force_login(alice.user)

    answer = upload(client, device, tone_wav(2, frequency=300))

    assert answer.status_code == 302
    mailbox = Mailbox.objects.get(device=device)
    assert mailbox.greeting
    assert "Callers hear your own greeting." in client.get(page_of(device)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/devices/{device.serial}/voicemail/greeting/reset/")

    mailbox.refresh_from_db()
    assert not mailbox.greeting
    assert list(media.rglob("*.wav")) == []
    assert "Callers hear the standard greeting" in client.get(page_of(device)).content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"not audio at all", "Ce n’est pas un enregistrement WAV"),  # noqa: RUF001
        (tone_wav(61), "Cette annonce dure plus d’une minute"),  # noqa: RUF001
        (b"\x00" * 10, "Ce n’est pas un enregistrement WAV"),  # noqa: RUF001
        (b"\x00" * (10 * 1024 * 1024 + 1), "Ce fichier dépasse 10 Mo"),
    ],
)
def test_it_refuses_a_file_that_is_no_usable_greeting_in_the_users_language(
    bob: Subscriber, client: Client, data: bytes, error: str
):
    device = bob.devices[0]
    client.force_login(bob.user)

    answer = upload(client, device, data)

    assert answer.status_code == 400
    assert error in answer.content.decode()
    assert not Mailbox.objects.filter(device=device).exclude(greeting="").exists()


def test_it_turns_the_email_switch_on_and_off(alice: Subscriber, client: Client):
    device = alice.devices[0]
    client.force_login(alice.user)
    url = f"/devices/{device.serial}/voicemail/email/"

    client.post(url, {"email_new_messages": "on"})
    assert Mailbox.objects.get(device=device).email_new_messages

    client.post(url, {})
    assert not Mailbox.objects.get(device=device).email_new_messages


def test_it_offers_the_greeting_recorder_with_the_microphone_for_this_page_alone(
    alice: Subscriber, client: Client
):
    client.force_login(alice.user)

    page = client.get(page_of(alice.devices[0]))

    html = page.content.decode()
    # Hidden until its script finds the Web Audio API: without it, the upload is all there is.
    assert 'id="greeting-recorder" role="group"' in html
    assert 'aria-labelledby="greeting-recorder-title" hidden' in html
    assert 'type="file" name="greeting"' in html
    assert "microphone=(self)" in page["Permissions-Policy"]
    # "Listen" plays the recording from a blob: URL; scripts (the worklet too) stay 'self'.
    policy = page["Content-Security-Policy"]
    assert "media-src 'self' blob:" in policy
    assert "script-src 'self';" in policy


def test_it_names_a_refused_recording_where_the_recorder_reads_the_reason(
    bob: Subscriber, client: Client
):
    device = bob.devices[0]
    client.force_login(bob.user)

    answer = upload(client, device, b"\x00" * 44)

    # greeting_recorder.js shows the text of #id_greeting_error of the page sent back.
    assert answer.status_code == 400
    html = answer.content.decode()
    assert 'data-error-id="id_greeting_error"' in html
    assert '<ul class="errorlist" id="id_greeting_error"><li>Ce n’est pas' in html  # noqa: RUF001
