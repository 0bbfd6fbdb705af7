"""The voicemail server end to end: baresip answers a call for a line's number, plays the
greeting and records; the message is the line's within seconds, emailed with its audio
when the owner asked for it; a number with no open line leaves nothing. On SQLite and on
PostgreSQL (DATABASE_URL), with a real baresip calling the server as Kamailio would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import make_subscriber
from plugline.notifications.models import OutboxMessage
from plugline.telephony.tests.sip_factory import make_line
from plugline.voicemail.models import VoicemailMessage
from plugline.voicemail.server import VoicemailServer
from plugline.voicemail.services import mailbox_email_set, mailbox_greeting_save
from plugline.voicemail.tests.phone import (
    call,
    tone_wav,
    voicemail_server,
    wait_for_mailbox,
    wav_level,
    wav_seconds,
)

# Real-time calls (minutes in all): CI runs them in its PostgreSQL pass only; the server's
# command is tried on both databases (test_voicemail_server_command).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.once]

NUMBER = "12125550147"
# Within seconds of the caller hanging up.
WITHIN = 5.0


@pytest.fixture
def server(settings, tmp_path) -> Iterator[VoicemailServer]:
    settings.MEDIA_ROOT = tmp_path / "media"
    with voicemail_server(max_seconds=6) as running:
        yield running


@pytest.fixture
def line():
    owner = make_subscriber(numbers=()).user
    made = make_line(owner, number=f"+{NUMBER}")
    # A short greeting of the owner's own (a second of tone): quicker calls.
    mailbox_greeting_save(device_id=made.boxed.device.pk, data=tone_wav(1.0, frequency=600))
    return made


def wait_for_message(device_id: int, *, timeout: float = WITHIN) -> VoicemailMessage:
    deadline = time.monotonic() + timeout
    while True:
        message = VoicemailMessage.objects.filter(device_id=device_id).first()
        if message is not None:
            return message
        if time.monotonic() > deadline:
            raise AssertionError("no voicemail message")
        time.sleep(0.1)


def test_it_keeps_the_callers_message_as_the_lines(server: VoicemailServer, line) -> None:
    wait_for_mailbox(server, NUMBER)

    output = call(server, number=NUMBER, caller="12125550199", seconds=5)

    message = wait_for_message(line.boxed.device.pk)
    assert message.caller == "+12125550199"
    assert not message.heard
    # The tone lasted 5 s; the greeting (1 s) and the tone after it (0.8 s) are not the message.
    assert 2 <= message.duration_seconds <= 4, output
    with message.audio.open("rb") as file:
        audio = file.read()
    assert wav_seconds(audio) > 2
    assert wav_level(audio) > 1000, "the message is silent"
    assert not OutboxMessage.objects.exists()


def test_it_emails_the_message_with_its_audio_when_the_owner_asked(
    server: VoicemailServer, line
) -> None:
    mailbox_email_set(device_id=line.boxed.device.pk, on=True)
    wait_for_mailbox(server, NUMBER)

    call(server, number=NUMBER, seconds=5)

    message = wait_for_message(line.boxed.device.pk)
    email = OutboxMessage.objects.get()
    assert email.to_email == "alice@example.com"
    assert "(212) 555-0199" in email.subject
    attachment = email.attachments.get()
    assert attachment.content_type == "audio/wav"
    assert wav_level(bytes(attachment.content)) > 1000
    with message.audio.open("rb") as file:
        assert file.read() == bytes(attachment.content)


@pytest.mark.parametrize("caller", ["anonymous", "Restricted"])
def test_it_keeps_a_message_from_a_caller_who_hid_their_number_as_from_a_hidden_number(
    server: VoicemailServer, line, caller: str
) -> None:
    mailbox_email_set(device_id=line.boxed.device.pk, on=True)
    wait_for_mailbox(server, NUMBER)

    call(server, number=NUMBER, caller=caller, seconds=4)

    message = wait_for_message(line.boxed.device.pk)
    assert message.caller == ""
    assert OutboxMessage.objects.get().subject == "New voicemail from a hidden number"


def test_it_leaves_nothing_for_a_number_with_no_open_line(server: VoicemailServer, line) -> None:
    wait_for_mailbox(server, NUMBER)

    output = call(server, number="12125550100", seconds=4)

    time.sleep(2)
    assert not VoicemailMessage.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert "404" in output


def test_it_hangs_up_at_the_longest_message(server: VoicemailServer, line) -> None:
    wait_for_mailbox(server, NUMBER)

    call(server, number=NUMBER, seconds=14)

    message = wait_for_message(line.boxed.device.pk)
    # VOICEMAIL_MAX_SECONDS is 6 here: the caller's 14 s were cut.
    assert 5 <= message.duration_seconds <= 7


def test_it_keeps_two_callers_messages_apart_when_they_call_at_once(
    server: VoicemailServer, line
) -> None:
    bob = make_subscriber("bob@example.com", numbers=()).user
    other = make_line(bob, serial="PLS10000002", number="+12125550148")
    wait_for_mailbox(server, NUMBER)
    wait_for_mailbox(server, "12125550148")

    with ThreadPoolExecutor(max_workers=2) as pool:
        # Bob's line has the standard greeting (about 6 s with the tone): 9 s leave 3.
        first = pool.submit(call, server, number=NUMBER, caller="12125550199", seconds=9)
        second = pool.submit(call, server, number="12125550148", caller="13105550100", seconds=9)
        first.result(), second.result()

    alices = wait_for_message(line.boxed.device.pk)
    bobs = wait_for_message(other.boxed.device.pk)
    assert alices.caller == "+12125550199"
    assert bobs.caller == "+13105550100"
    for message in (alices, bobs):
        with message.audio.open("rb") as file:
            assert wav_level(file.read()) > 1000
    assert alices.audio.name != bobs.audio.name
